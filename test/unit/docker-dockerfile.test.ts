import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { LoupeError } from '../../src/core/errors.js';
import { describeBuildFailure } from '../../src/docker/build.js';
import { copyDockerfileData } from '../../src/docker/context.js';
import { exploreJobsOption, inspectDockerfile } from '../../src/docker/dockerfile.js';
import { tempDir } from '../helpers/temp-dirs.js';

const NGINX = `FROM loupe-base:latest

# Install wrk
RUN apt update
RUN apt install -y wrk
COPY dockerfile_data/nginx-test.sh /root/nginx-test.sh
COPY --chown=root:root ["dockerfile_data/conf/", "/root/conf/"]
ADD https://example.org/x.tar.gz /root/
RUN chmod a+x /root/nginx-test.sh

CMD /root/explore.py --output-csv -t /root/nginx-test.sh \\
     -b /root/nginx/objs/nginx \\
     -- -p /root/nginx -g "daemon off;"
`;

test('an original Dockerfile: copied data files found, --final-check recommended', () => {
  const facts = inspectDockerfile(NGINX, 'Dockerfile.nginx');
  assert.deepEqual(facts.dataFiles, ['nginx-test.sh', 'conf']);
  assert.equal(facts.fromLoupeBase, true);
  assert.deepEqual(facts.warnings, ['Dockerfile.nginx: explore.py runs without --final-check, which is recommended']);
});

test('malformed Dockerfiles are refused with the reason', () => {
  const refuses = (text: string, message: RegExp): void => {
    assert.throws(() => inspectDockerfile(text, 'D'), (e: unknown) => e instanceof LoupeError && e.exitCode === 3 && message.test(e.message));
  };
  refuses('', /first instruction must be FROM/);
  refuses('#!/bin/sh\necho hello\n', /first instruction must be FROM/);
  refuses('FROM loupe-base:latest\nRUN true\n', /has no CMD/);
  refuses('FROM loupe-base:latest\nCMD /usr/bin/nginx\n', /does not run \/root\/explore\.py/);
  refuses('FROM loupe-base:latest\nCOPY ../secret /root/\nCMD /root/explore.py -b x\n', /copies \.\.\/secret, which is not under dockerfile_data/);
  refuses('FROM loupe-base:latest\nCOPY dockerfile_data/../x /root/\nCMD /root/explore.py -b x\n', /not under dockerfile_data/);
});

test('a Dockerfile not based on loupe-base is accepted with a warning', () => {
  const facts = inspectDockerfile('ARG V=1\nFROM debian:bookworm\nCMD /root/explore.py --final-check -b x\n', 'D');
  assert.match(facts.warnings[0]!, /does not start from loupe-base:latest/);
  assert.equal(facts.fromLoupeBase, false);
});

test('only the referenced data files (wildcards expanded) go into the build context', () => {
  const dir = tempDir('ctx');
  mkdirSync(join(dir, 'dockerfile_data/conf'), { recursive: true });
  for (const f of ['a.sh', 'b.sh', 'unused.txt', 'conf/x.conf']) writeFileSync(join(dir, 'dockerfile_data', f), f);
  const context = tempDir('ctx-out');
  const copied = copyDockerfileData(join(dir, 'Dockerfile.app'), ['*.sh', 'conf'], context);
  assert.deepEqual(copied, ['dockerfile_data/a.sh', 'dockerfile_data/b.sh', 'dockerfile_data/conf/x.conf']);
  assert.equal(readFileSync(join(context, 'dockerfile_data/conf/x.conf'), 'utf8'), 'conf/x.conf');
  assert.throws(() => copyDockerfileData(join(dir, 'Dockerfile.app'), ['missing.sh'], context), /copies dockerfile_data\/missing\.sh, which does not exist/);
});

test('the failing step of a classic build is found in its output', () => {
  const output = [
    'Sending build context to Docker daemon  2.048kB',
    'Step 1/3 : FROM local/debian:bookworm',
    ' ---> 42a86ea1c049',
    'Step 2/3 : RUN echo hi',
    ' ---> Running in 1360ea566e9d',
    'hi',
    'Removing intermediate container 1360ea566e9d',
    'Step 3/3 : RUN false',
    ' ---> Running in bb9b1b889478',
    "The command '/bin/sh -c false' returned a non-zero code: 1",
  ];
  assert.deepEqual(describeBuildFailure(output), { step: '3/3 : RUN false', details: ["The command '/bin/sh -c false' returned a non-zero code: 1"] });
  assert.deepEqual(describeBuildFailure(['unable to prepare context: path "x" not found']), { details: ['unable to prepare context: path "x" not found'] });
});

test('the --jobs of a CMD is read as explore reads it: the last before --, in shell or JSON form', () => {
  assert.equal(exploreJobsOption('/root/explore.py --output-csv --jobs 4 -t /root/t.sh -b /usr/bin/app -- -p 1'), 4);
  assert.equal(exploreJobsOption('/root/explore.py -j 2 --jobs=6 -b app'), 6);
  assert.equal(exploreJobsOption('["/root/explore.py", "--jobs", "3", "-b", "app"]'), 3);
  assert.equal(exploreJobsOption('/root/explore.py -b app -- --jobs 9'), undefined, 'the program\'s own --jobs');
  assert.equal(exploreJobsOption('/root/explore.py -b app'), undefined);
});
