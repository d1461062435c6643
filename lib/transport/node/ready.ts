import { findMounts, mountProblems } from './mount-check';
import { probeMounts } from './mount-probe';
import type { Logger } from '../../log';

/** What `webhooks.ready()` checks besides the storage. */
export interface ReadyOptions {
  /**
   * Your Express app (or router): mount mistakes throw `ConfigurationError` (`ERR_NTW_MOUNT_METHOD`: mounted
   * with `app.get`; `ERR_NTW_MOUNT_PATH`: `app.use()` without a path; `ERR_NTW_MOUNT_DUPLICATE`: two endpoints of
   * one provider on one path; `ERR_NTW_MOUNT_BODY_PARSED`: a body parser before an endpoint that verifies the raw
   * bytes; `ERR_NTW_MOUNT_HEALTH_CHECK`: Cybersource's GET health check does not reach its endpoint), and so does a
   * receiver with no handler (`ERR_NTW_NO_HANDLERS`). The last two are found by a request sent through the app in
   * memory, which the endpoints answer without counting it as a delivery. An app of another framework (a Fastify
   * instance) has no Express router to read: only the handler check applies.
   */
  readonly app?: object;
}

/**
 * The first mount mistake of `app`, read from its router, then found by sending requests through it in memory; an
 * endpoint the probe could not reach is logged to `logTo` (a warning).
 */
export async function checkMounts(app: object, logTo?: Logger): Promise<void> {
  const mounts = findMounts(app);
  const [problem] = mountProblems(mounts);
  if (problem) throw problem;
  const [probed] = await probeMounts(app, mounts, undefined, logTo);
  if (probed) throw probed;
}
