import { projectConfig } from '../vitest.shared.js';

export default projectConfig({ testTimeout: 60_000 });
