import { dockerignorePathspecs, finalBaseImage } from '../../activities/build/dockerfile';
import { BuildLog } from '../../activities/build/docker-stream';

describe('what the build reads from a service directory', () => {
  it('finds the base image of the final stage, following stage names', () => {
    expect(finalBaseImage('FROM airlock/base:bookworm-1\nRUN true\n')).toBe('airlock/base:bookworm-1');
    expect(
      finalBaseImage(`# syntax comment
FROM --platform=linux/amd64 node:20 AS build
RUN npm ci
FROM build AS test
FROM \\
  airlock/base:bookworm-1 AS app
COPY --from=build /app /app
`),
    ).toBe('airlock/base:bookworm-1');
    expect(finalBaseImage('FROM node:20 AS build\nFROM build\n')).toBe('node:20');
    expect(finalBaseImage('RUN true\n')).toBeUndefined();
  });

  it('turns .dockerignore patterns into git pathspecs, reporting what it cannot apply', () => {
    expect(dockerignorePathspecs('# comment\nnode_modules\n/dist/\n*.log\n!keep.log\n*\n')).toEqual({
      pathspecs: [':(exclude,glob)node_modules', ':(exclude,glob)node_modules/**', ':(exclude,glob)dist', ':(exclude,glob)dist/**', ':(exclude,glob)*.log', ':(exclude,glob)*.log/**'],
      unsupported: ['!keep.log', '*'],
    });
  });

  it('follows a build stream: steps, last lines, the first error', () => {
    const log = new BuildLog(3);
    expect(log.add({ stream: 'Step 1/3 : FROM airlock/base:bookworm-1\n' })).toEqual({ newStep: 'Step 1/3 : FROM airlock/base:bookworm-1' });
    log.add({ stream: ' ---> 41273cad790d\n' });
    log.add({ stream: 'Step 2/3 : RUN npm ci\n' });
    log.add({ stream: ' ---> Running in 0f1e\n/bin/sh: 1: npm: not found\n' });
    log.add({ errorDetail: { code: 127, message: "The command '/bin/sh -c npm ci' returned a non-zero code: 127" }, error: 'x' });
    log.add({ error: 'a later error' });
    expect(log.step).toBe('Step 2/3 : RUN npm ci');
    expect(log.error).toBe("The command '/bin/sh -c npm ci' returned a non-zero code: 127");
    expect(log.lastLines()).toEqual(['Step 2/3 : RUN npm ci', ' ---> Running in 0f1e', '/bin/sh: 1: npm: not found']);
  });
});
