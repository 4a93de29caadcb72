import { describe, expect, it } from 'vitest';
import { resolveBackend } from '../src/backend';
import { BackendError, OptionsError } from '../src/errors';

const gpu = (adapter: unknown) => ({ gpu: { requestAdapter: async () => adapter } });

describe('resolveBackend', () => {
  it('auto picks WebGPU when an adapter exists', async () => {
    expect(await resolveBackend('auto', gpu({}))).toEqual({ backend: 'webgpu', reason: 'WebGPU adapter available' });
    expect(await resolveBackend(undefined, gpu({}))).toMatchObject({ backend: 'webgpu' });
  });

  it('auto falls back to WASM and says why', async () => {
    expect(await resolveBackend('auto', {})).toEqual({ backend: 'wasm', reason: 'navigator.gpu missing (browser without WebGPU, or Node): WebGPU unavailable, using WASM' });
    expect((await resolveBackend('auto', gpu(null))).reason).toMatch(/requestAdapter\(\) returned null/);
    const throwing = { gpu: { requestAdapter: async () => { throw new Error('denied'); } } };
    expect((await resolveBackend('auto', throwing)).reason).toMatch(/failed: denied/);
  });

  it('webgpu without WebGPU is an error with the fix; wasm is always wasm', async () => {
    await expect(resolveBackend('webgpu', {})).rejects.toBeInstanceOf(BackendError);
    await expect(resolveBackend('webgpu', gpu(null))).rejects.toThrow(/use backend "auto" or "wasm"/);
    expect(await resolveBackend('wasm', gpu({}))).toEqual({ backend: 'wasm', reason: 'WASM requested' });
  });

  it('lists valid values for unknown backends', async () => {
    await expect(resolveBackend('webgl', {})).rejects.toBeInstanceOf(OptionsError);
    await expect(resolveBackend('webgl', {})).rejects.toThrow('must be one of "auto", "webgpu", "wasm", got "webgl"');
  });
});
