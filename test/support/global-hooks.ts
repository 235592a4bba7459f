// Mocha root hooks shared by every test file. Kept small: anything expensive (the test control
// plane) is started lazily by the tests that need it and torn down here.
import { stopControlPlane } from './controlplane.ts';

export const mochaHooks = {
  // Runs once after the whole run; a no-op unless some `@cluster` suite started the control plane.
  async afterAll(): Promise<void> {
    await stopControlPlane();
  },
};
