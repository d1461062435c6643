/** This package's version, for the instrumentation scope of its spans and metrics (a test keeps it equal to package.json's). */
export const PACKAGE_VERSION = '0.4.0';
