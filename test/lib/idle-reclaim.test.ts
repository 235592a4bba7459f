import { expect } from 'chai';
import { mock } from 'node:test';
import { IdleReclaimer, youngGenerationSize } from '../../lib/idle-reclaim.ts';

const MB = 1024 * 1024;

describe('IdleReclaimer', () => {
  let young: number;
  let collected: number;
  const reclaimer = (): IdleReclaimer =>
    new IdleReclaimer({ quietMs: 1_000, grownBytes: 4 * MB, youngSize: () => young, collect: () => collected++, now: () => Date.now() });

  beforeEach(() => {
    mock.timers.enable({ apis: ['setTimeout', 'Date'] });
    young = 32 * MB;
    collected = 0;
  });
  afterEach(() => mock.timers.reset());

  it('collects once the process has been quiet for the whole period after a request', () => {
    const r = reclaimer();
    r.activity();
    mock.timers.tick(999);
    expect(collected).to.equal(0);
    mock.timers.tick(1);
    expect(collected).to.equal(1);
    expect(r.collections).to.equal(1);
  });

  it('waits while requests keep coming, then collects once', () => {
    const r = reclaimer();
    for (let i = 0; i < 5; i++) {
      r.activity();
      mock.timers.tick(600);
    }
    expect(collected).to.equal(0);
    mock.timers.tick(400);
    expect(collected).to.equal(1);
    // Quiet goes on: no second collection without new requests.
    mock.timers.tick(10_000);
    expect(collected).to.equal(1);
    r.activity();
    mock.timers.tick(1_000);
    expect(collected).to.equal(2);
  });

  it('leaves a young generation that has not grown alone', () => {
    young = 1 * MB;
    const r = reclaimer();
    r.activity();
    mock.timers.tick(5_000);
    expect(collected).to.equal(0);
  });

  it('collects nothing after stop', () => {
    const r = reclaimer();
    r.activity();
    r.stop();
    mock.timers.tick(5_000);
    expect(collected).to.equal(0);
  });

  it('reads the young generation size from V8', () => {
    expect(youngGenerationSize()).to.be.above(0);
  });
});
