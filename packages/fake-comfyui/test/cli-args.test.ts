import { describe, expect, it } from 'vitest'
import { parseFakeArgs } from '../src/cli-args.js'

describe('parseFakeArgs', () => {
  it('reads the knobs of the fake from the argv a supervisor gives `python main.py`, ignoring ComfyUI flags', () => {
    const argv = [
      '--listen',
      '127.0.0.1',
      '--port=8190',
      '--highvram',
      '--output-directory',
      '/tmp/out',
      '--database-url',
      'sqlite:///:memory:',
      '--step-ms',
      '20',
      '--checkpoint',
      'a.safetensors',
      '--checkpoint=b.safetensors',
      '--oom-node',
      '13',
      '--fail-node',
      '9',
      '--fail-type',
      'RuntimeError',
      '--boot-mode',
      '503',
      '--disable-auto-launch',
      '--quiet',
    ]
    const { options, quiet, logStdout } = parseFakeArgs(argv)
    expect(options).toMatchObject({
      host: '127.0.0.1',
      port: 8190,
      outputDirectory: '/tmp/out',
      stepMs: 20,
      checkpoints: ['a.safetensors', 'b.safetensors'],
      bootMode: '503',
      faults: { oom: { node: '13' }, nodeError: { node: '9', exceptionType: 'RuntimeError' } },
      argv,
    })
    expect({ quiet, logStdout }).toEqual({ quiet: true, logStdout: false })
  })

  it('takes --listen alone as every interface, as ComfyUI does', () => {
    expect(parseFakeArgs(['--listen', '--port', '1']).options).toMatchObject({ host: '0.0.0.0', port: 1 })
    expect(parseFakeArgs(['--listen=::1,0.0.0.0']).options.host).toBe('::1')
  })

  it('names the flag when a value is missing or not a number, or a mode is unknown', () => {
    expect(() => parseFakeArgs(['--step-ms'])).toThrow('fake ComfyUI: --step-ms needs a value')
    expect(() => parseFakeArgs(['--step-ms', '--quiet'])).toThrow('fake ComfyUI: --step-ms needs a value')
    expect(() => parseFakeArgs(['--port', 'x'])).toThrow('fake ComfyUI: --port needs a number, got x')
    expect(() => parseFakeArgs(['--boot-mode', 'slow'])).toThrow('fake ComfyUI: --boot-mode is refuse or 503, got slow')
  })
})
