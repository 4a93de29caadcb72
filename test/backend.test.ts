import { describe, expect, it } from 'vitest';
import { resolveBackend } from '../src/backend';
import { BackendError, OptionsError } from '../src/errors';

const gpu = (adapter: unknown) => ({ gpu: { requestAdapter: async () => adapter } });

describe('resolveBackend', () => {
  it('auto makes a real adapter a candidate to be measured', async () => {
    const real = { info: { vendor: 'nvidia', architecture: 'ampere', isFallbackAdapter: false } };
    const c = await resolveBackend('auto', gpu(real));
    expect(c).toMatchObject({ backend: 'webgpu', measure: true, adapter: { vendor: 'nvidia', isFallbackAdapter: false } });
    expect(c.reason).toMatch(/nvidia ampere: to be measured against WASM/);
    expect(await resolveBackend(undefined, gpu(real))).toMatchObject({ backend: 'webgpu', measure: true });
  });

  it('auto never picks a software (fallback) adapter, unless allowed; explicit webgpu takes it', async () => {
    const swiftshader = { info: { vendor: 'google', architecture: 'swiftshader', isFallbackAdapter: true } };
    const c = await resolveBackend('auto', gpu(swiftshader));
    expect(c).toMatchObject({ backend: 'wasm', measure: false, adapter: { isFallbackAdapter: true } });
    expect(c.reason).toMatch(/software fallback \(google swiftshader \(software fallback\)\).*using WASM/);
    // Recognized by name when the browser does not set the flag (older GPUAdapterInfo).
    expect(await resolveBackend('auto', gpu({ info: { vendor: 'mesa', architecture: '', description: 'llvmpipe (LLVM 15)' } }))).toMatchObject({ backend: 'wasm' });
    expect(await resolveBackend('auto', gpu({ isFallbackAdapter: true }))).toMatchObject({ backend: 'wasm' });
    expect(await resolveBackend('auto', gpu(swiftshader), { allowSoftwareAdapter: true })).toMatchObject({ backend: 'webgpu', measure: true });
    expect(await resolveBackend('webgpu', gpu(swiftshader))).toMatchObject({ backend: 'webgpu', measure: false });
  });

  it('auto falls back to WASM and says why', async () => {
    expect(await resolveBackend('auto', {})).toEqual({ backend: 'wasm', reason: 'navigator.gpu missing (browser without WebGPU, or Node): WebGPU unavailable, using WASM', measure: false });
    expect((await resolveBackend('auto', gpu(null))).reason).toMatch(/requestAdapter\(\) returned null/);
    const throwing = { gpu: { requestAdapter: async () => { throw new Error('denied'); } } };
    expect((await resolveBackend('auto', throwing)).reason).toMatch(/failed: denied/);
  });

  it('webgpu without WebGPU is an error with the fix; wasm is always wasm', async () => {
    await expect(resolveBackend('webgpu', {})).rejects.toBeInstanceOf(BackendError);
    await expect(resolveBackend('webgpu', gpu(null))).rejects.toThrow(/use backend "auto" or "wasm"/);
    expect(await resolveBackend('wasm', gpu({}))).toEqual({ backend: 'wasm', reason: 'WASM requested', measure: false });
  });

  it('lists valid values for unknown backends', async () => {
    await expect(resolveBackend('webgl', {})).rejects.toBeInstanceOf(OptionsError);
    await expect(resolveBackend('webgl', {})).rejects.toThrow('must be one of "auto", "webgpu", "wasm", got "webgl"');
  });
});
