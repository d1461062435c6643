import { ConfigurationError } from '../errors';

/**
 * Load an optional peer dependency (a database driver) by name. Only the adapter that needs the
 * driver calls this, so an app that never uses that adapter never needs the package.
 */
export function loadDriver<T>(name: string, adapter: string): T {
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    return require(name) as T;
  } catch (error) {
    if ((error as NodeJS.ErrnoException)?.code === 'MODULE_NOT_FOUND' && String((error as Error).message).includes(`'${name}'`)) {
      throw new ConfigurationError('ERR_NTW_DRIVER_MISSING', `${adapter} needs the package "${name}": npm install ${name}`);
    }
    throw error;
  }
}
