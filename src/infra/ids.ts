/**
 * The ids this service gives its own records (applications, merchants): lower-case letters,
 * digits, `-` and `_`, at most 63 characters. One rule for the config, the DTOs and the lookups,
 * so that a value that cannot be an id is refused before it reaches a query.
 */
export const ID_PATTERN = /^[a-z0-9][a-z0-9_-]{0,62}$/;
