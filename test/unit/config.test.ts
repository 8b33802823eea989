import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { resolveTool, ToolMissingError } from '../../infra/local/tools';
import { InvalidInputError } from '../../model/parse';
import { loadConfig } from '../../infra/config';

describe('loadConfig', () => {
  test('defaults point at the local stack under HOME', () => {
    const c = loadConfig({ HOME: '/home/u' });
    expect(c.home).toBe('/home/u/.local/state/airlock');
    expect(c.temporal.address).toBe('127.0.0.1:7233');
    expect(c.registry).toBe('127.0.0.1:5000');
    expect(c.pulumi.backendUrl).toBe('file:///home/u/.local/state/airlock/pulumi');
  });

  test('empty strings count as unset and numbers are coerced', () => {
    const c = loadConfig({ HOME: '/h', TEMPORAL_ADDRESS: '', AIRLOCK_TEMPORAL_UI_PORT: '9000' });
    expect(c.temporal.address).toBe('127.0.0.1:7233');
    expect(c.temporal.uiPort).toBe(9000);
  });

  test('a bad value names the variable and what was expected', () => {
    const bad = () => loadConfig({ HOME: '/h', TEMPORAL_ADDRESS: 'not an address', PROMETHEUS_URL: 'nope', AIRLOCK_TRIVY_DB: 'maybe' });
    expect(bad).toThrow(InvalidInputError);
    try {
      bad();
    } catch (err) {
      const lines = (err as InvalidInputError).lines;
      expect(lines).toEqual(
        expect.arrayContaining([
          expect.stringMatching(/^TEMPORAL_ADDRESS: expected host:port/),
          expect.stringMatching(/^PROMETHEUS_URL: expected a URL/),
          expect.stringMatching(/^AIRLOCK_TRIVY_DB: .*"fixture"/),
        ]),
      );
    }
  });
});

describe('resolveTool', () => {
  test('a missing tool is one error naming it and how to get it', () => {
    const cache = mkdtempSync(join(tmpdir(), 'airlock-cache-'));
    const config = { cache, tools: { temporal: undefined, pulumi: undefined, trivy: undefined } };
    const saved = process.env.PATH;
    process.env.PATH = '/nonexistent';
    try {
      expect(() => resolveTool(config, 'trivy')).toThrow(ToolMissingError);
      expect(() => resolveTool(config, 'trivy')).toThrow(/^trivy 0\.74\.0 is not installed: run `npx airlock dev up`/);
    } finally {
      process.env.PATH = saved;
    }
  });

  test('an override that does not exist is named', () => {
    const config = { cache: '/nowhere', tools: { temporal: '/no/temporal', pulumi: undefined, trivy: undefined } };
    expect(() => resolveTool(config, 'temporal')).toThrow('temporal: /no/temporal (from AIRLOCK_TEMPORAL_BIN) does not exist');
  });
});
