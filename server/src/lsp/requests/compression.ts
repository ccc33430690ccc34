// compress, restore and verify: validated here, run as analysis-worker jobs (server/src/compress/),
// with $/progress and cancellation; a cancelled compress or restore leaves nothing behind. archiveInfo
// answers on the main thread: it reads only the entries' small info sections.
import { stat } from 'node:fs/promises';
import { readArchiveInfo } from '../../compress/archiveInfo.ts';
import { ArchiveInfo, Compress, Restore, Verify, type CompressParams, type RestoreParams, type VerifyParams } from '../../protocol.ts';
import { safely } from '../errors.ts';
import { asParams, optionalBoolean, optionalChoice, optionalNumber, optionalString, ParamError, pathParam, requireString } from '../params.ts';
import type { Session } from '../session.ts';

const exists = (p: string) => stat(p).then(() => true, () => false);

export function registerCompressionRequests(session: Session): void {
  const { connection } = session;

  connection.onRequest(
    Compress,
    safely(async (raw, token) => {
      const p = asParams(raw);
      const defaults = session.settings().compression;
      const params: CompressParams = {
        source: pathParam(requireString(p, 'source'), 'source'),
        reference: optionalString(p, 'reference') && pathParam(optionalString(p, 'reference')!, 'reference'),
        output: pathParam(requireString(p, 'output'), 'output'),
        mode: optionalChoice(p, 'mode', ['excp', 'lossless'] as const) ?? defaults.mode,
        alpha: optionalNumber(p, 'alpha', (x) => x > 0, 'a number > 0'),
        beta: optionalNumber(p, 'beta', (x) => x >= 0, 'a number >= 0'),
        bits: optionalNumber(p, 'bits', (x) => Number.isInteger(x) && x >= 1 && x <= 8, 'an integer 1..8'),
        bitsMoments: optionalNumber(p, 'bitsMoments', (x) => Number.isInteger(x) && x >= 1 && x <= 8, 'an integer 1..8'),
        targetRatio: optionalNumber(p, 'targetRatio', (x) => x > 1, 'a ratio > 1'),
        maxRelErr: optionalNumber(p, 'maxRelErr', (x) => x > 0, 'a number > 0'),
        paperExact: optionalBoolean(p, 'paperExact'),
        append: optionalBoolean(p, 'append'),
      };
      if (params.targetRatio !== undefined && params.maxRelErr !== undefined) throw new ParamError("give 'targetRatio' or 'maxRelErr', not both");
      if (!params.append && (await exists(params.output))) throw new ParamError(`'output' ${params.output} already exists; choose a new path (nothing is overwritten)`);
      const summary = await session.jobs.run(
        `compress|${params.output}`,
        `Compressing ${params.source}`,
        (signal, progress) => session.worker.run({ kind: 'compress', params, defaults }, session.settings().computeBackend, signal, progress),
        session.subscriber(raw, token),
      );
      void session.refreshIndex();
      return { archive: summary.archive, bytesIn: summary.orig_bytes, bytesOut: summary.compressed_bytes, ratio: summary.ratio, seconds: summary.seconds, entries: summary.entries.length, summary };
    }),
  );

  connection.onRequest(
    Restore,
    safely(async (raw, token) => {
      const p = asParams(raw);
      const params: RestoreParams = {
        archive: pathParam(requireString(p, 'archive'), 'archive'),
        step: optionalNumber(p, 'step', Number.isInteger, 'an integer step'),
        reference: optionalString(p, 'reference') && pathParam(optionalString(p, 'reference')!, 'reference'),
        output: pathParam(requireString(p, 'output'), 'output'),
      };
      if (await exists(params.output)) throw new ParamError(`'output' ${params.output} already exists; choose a new path (nothing is overwritten)`);
      const r = await session.jobs.run(
        `restore|${params.output}`,
        `Restoring ${params.archive}`,
        (signal, progress) => session.worker.run({ kind: 'restore', params }, session.settings().computeBackend, signal, progress),
        session.subscriber(raw, token),
      );
      void session.refreshIndex();
      return { output: r.output, files: r.files, seconds: r.seconds, step: r.step };
    }),
  );

  connection.onRequest(
    Verify,
    safely(async (raw, token) => {
      const p = asParams(raw);
      const params: VerifyParams = {
        archive: pathParam(requireString(p, 'archive'), 'archive'),
        reference: optionalString(p, 'reference') && pathParam(optionalString(p, 'reference')!, 'reference'),
        against: optionalString(p, 'against') && pathParam(optionalString(p, 'against')!, 'against'),
        step: optionalNumber(p, 'step', Number.isInteger, 'an integer step'),
      };
      const report = await session.jobs.run(
        `verify|${params.archive}|${params.against ?? ''}`,
        `Verifying ${params.archive}`,
        (signal, progress) => session.worker.run({ kind: 'verify', params }, session.settings().computeBackend, signal, progress),
        session.subscriber(raw, token),
      );
      return { ok: report.ok, sections: report.sections, errors: report.errors, report };
    }),
  );

  connection.onRequest(
    ArchiveInfo,
    safely(async (raw) => readArchiveInfo(pathParam(requireString(asParams(raw), 'archive'), 'archive'))),
  );
}
