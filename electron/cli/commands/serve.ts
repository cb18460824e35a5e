import { CommandError, UsageError, numberFlag, parseCommandArgs, type CliCommand } from '../command';
import { startServer, isLoopbackHost } from '../../server';
import { composeStudio } from '../../studio/compose';
import { rendererDir } from '../../studio/paths';
import { defaultUserDataDir } from '../../studio';

const usage = `Usage: seedsong serve [--port N] [--host H] [--allow-remote] [--user-data DIR]

Runs the studio for a web browser. Prints a link with a per-launch token; open it in a browser on
this machine. The page and its WebSocket API refuse requests without that token.

  --port N         port to listen on (default 5178; 0 picks a free port)
  --host H         address to bind (default 127.0.0.1, this machine only)
  --allow-remote   needed to bind anything other than a loopback address: anyone who can reach
                   the port and has the link can drive the studio and its MIDI devices
  --user-data DIR  models, projects and settings (default: $SEEDSONG_HOME or ~/.seedsong)`;

export const command: CliCommand = {
  name: 'serve',
  summary: 'run the studio for a browser',
  usage,
  async run(argv, io) {
    const { values, positionals } = parseCommandArgs(argv, {
      port: { type: 'string' },
      host: { type: 'string' },
      'allow-remote': { type: 'boolean' },
      'user-data': { type: 'string' },
    });
    if (positionals.length) throw new UsageError(`serve takes no positional arguments (got "${positionals[0]}")`);
    const port = numberFlag('port', values.port, { min: 0, max: 65535, integer: true }) ?? 5178;
    const host = values.host ?? '127.0.0.1';
    if (!isLoopbackHost(host) && !values['allow-remote']) {
      throw new UsageError(`--host ${host} is reachable from other machines; add --allow-remote if you mean it`);
    }
    const studio = await composeStudio({ mode: 'serve', userDataDir: values['user-data'] ?? defaultUserDataDir(io.env) });
    let server;
    try {
      server = await startServer({ studio, host, port, staticDir: rendererDir() });
    } catch (e) {
      await studio.dispose();
      const err = e as NodeJS.ErrnoException;
      if (err.code === 'EADDRINUSE') throw new CommandError(`port ${port} is in use; pick another with --port (0 picks a free one)`);
      if (err.code === 'EADDRNOTAVAIL') throw new CommandError(`cannot bind ${host}: no such address on this machine`);
      throw new CommandError(err.message);
    }
    if (!isLoopbackHost(host)) io.err(`seedsong: warning: serving on ${host}, reachable from other machines; keep the link secret`);
    io.out(`Seedsong studio: ${server.url}`);
    io.out('Press Ctrl+C to stop.');
    await new Promise<void>((resolve) => io.interrupted.addEventListener('abort', () => resolve(), { once: true }));
    await server.close();
    await studio.dispose();
    return 0;
  },
};
