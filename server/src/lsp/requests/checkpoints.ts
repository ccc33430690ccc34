// listCheckpoints and selectCheckpoint.
import { ListCheckpoints, SelectCheckpoint } from '../../protocol.ts';
import { safely } from '../errors.ts';
import { asParams, optionalBoolean, pathParam, ParamError } from '../params.ts';
import type { Session } from '../session.ts';

export function registerCheckpointRequests(session: Session): void {
  const { connection, index } = session;

  connection.onRequest(ListCheckpoints, safely(() => index.snapshot()));

  connection.onRequest(
    SelectCheckpoint,
    safely(async (raw) => {
      const p = asParams(raw);
      const auto = optionalBoolean(p, 'auto') === true;
      if (!auto && !('path' in p)) throw new ParamError("'path' is required (a checkpoint path, or null for none; or auto: true)");
      const path = p.path;
      if (!auto && path !== null && typeof path !== 'string') throw new ParamError("'path' must be a string or null");
      let target: string | null = null;
      if (!auto && path !== null) {
        // A file inside a checkpoint directory (its model.safetensors, its index) selects that checkpoint.
        const given = pathParam(path as string, 'path');
        target = (await index.resolve(given))?.entry.path ?? given;
      }
      index.select(target, auto);
      await session.activeChanged();
      return index.snapshot();
    }),
  );
}
