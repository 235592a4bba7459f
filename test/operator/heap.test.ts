// The sidecar's V8 heap follows its container's memory limit (operator/inject/heap.ts).
import { expect } from 'chai';
import { heapOptions, quantityMiB } from '../../operator/inject/heap.ts';

describe('injector: V8 heap settings from the memory limit', () => {
  it('reads Kubernetes memory quantities', () => {
    expect(quantityMiB('256Mi')).to.equal(256);
    expect(quantityMiB('1Gi')).to.equal(1024);
    expect(quantityMiB('512Ki')).to.equal(0.5);
    expect(quantityMiB(String(2 ** 28))).to.equal(256);
    expect(quantityMiB('300M')).to.be.closeTo(286.1, 0.1);
    expect(quantityMiB('lots')).to.equal(undefined);
    expect(quantityMiB(undefined)).to.equal(undefined);
  });

  it('gives V8 five eighths of the limit as old space and 4 MB semi-spaces; nothing without a usable limit', () => {
    expect(heapOptions('256Mi')).to.equal('--max-old-space-size=160 --max-semi-space-size=4');
    expect(heapOptions('1Gi')).to.equal('--max-old-space-size=640 --max-semi-space-size=4');
    expect(heapOptions('64Mi')).to.equal(undefined);
    expect(heapOptions(undefined)).to.equal(undefined);
  });
});
