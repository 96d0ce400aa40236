import { describe, expect, it } from 'vitest';
import { ensureHaproxy, HaproxyMissingError } from '../../src/drill/postgres/LocalHaproxy.js';

/** A machine without HAProxy until `install` runs, and an installer that counts its calls. */
function machine(installResult: string | undefined, installedAlready = false) {
  let installed = installedAlready;
  const lines: string[] = [];
  const calls = { install: 0 };
  return {
    lines,
    calls,
    options: {
      log: (line: string) => lines.push(line),
      find: async () => {
        if (!installed) throw new HaproxyMissingError('HAProxy is not installed');
        return '/usr/sbin/haproxy';
      },
      install: async () => {
        calls.install += 1;
        if (installResult === undefined) installed = true;
        return installResult;
      },
    },
  };
}

describe('ensureHaproxy: the postgres drill needs nothing beyond npm ci', () => {
  it('uses an installed HAProxy without installing anything or saying so', async () => {
    // Prepare
    const { options, calls, lines } = machine(undefined, true);

    // Act
    const program = await ensureHaproxy(options);

    // Assess
    expect(program).toBe('/usr/sbin/haproxy');
    expect(calls.install).toBe(0);
    expect(lines).toEqual([]);
  });

  it('installs a missing HAProxy once with apt-get, saying so on the console', async () => {
    // Prepare
    const { options, calls, lines } = machine(undefined);

    // Act
    const program = await ensureHaproxy(options);

    // Assess
    expect(program).toBe('/usr/sbin/haproxy');
    expect(calls.install).toBe(1);
    expect(lines).toEqual([
      'HAProxy (the traffic switch of the postgres world) is not installed: installing the Debian package with apt-get install haproxy...',
      'HAProxy installed: /usr/sbin/haproxy',
    ]);
  });

  it('fails with the reason and how to install it by hand when apt-get cannot install it', async () => {
    // Prepare
    const { options } = machine('not root, so apt-get cannot install it');

    // Act
    const ensuring = ensureHaproxy(options);

    // Assess
    await expect(ensuring).rejects.toThrow(HaproxyMissingError);
    await expect(ensuring).rejects.toThrow('HAProxy is not installed and could not be installed (not root, so apt-get cannot install it): apt-get install haproxy as root, or set FCP_HAPROXY to its path');
  });
});
