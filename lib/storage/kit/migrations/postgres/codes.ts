/** What a step raises when instances of 0.1 still hold events of this database (it is tried again, then refused). */
export const OLDER_VERSION_ACTIVE = 'NTW01';
/** What the script raises when the schema was written by a newer version than this one. */
export const SCHEMA_NEWER = 'NTW03';
