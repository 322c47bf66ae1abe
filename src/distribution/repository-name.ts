/**
 * Names as the distribution spec's grammar allows them: repository paths of lower-case
 * components, tags, and the `<name>` part of `/v2/<name>/...` URLs. Anything outside the grammar
 * (`..`, empty components, upper case, encoded slashes) is refused before it reaches storage.
 */
import { RegistryError } from './registry-errors.js';

const component = '[a-z0-9]+(?:(?:\\.|_|__|-+)[a-z0-9]+)*';
const repositoryPattern = new RegExp(`^${component}(?:/${component})*$`);
const tagPattern = /^[a-zA-Z0-9_][a-zA-Z0-9._-]{0,127}$/;

/** The reference registry's limit on a repository name (host included when pushed to it). */
export const maxRepositoryNameLength = 255;

export function isRepositoryName(name: string): boolean {
  return name.length > 0 && name.length <= maxRepositoryNameLength && repositoryPattern.test(name);
}

export function isTag(tag: string): boolean {
  return tagPattern.test(tag);
}

/** Throws NAME_INVALID unless `name` is a repository name of the spec's grammar. */
export function assertRepositoryName(name: string): string {
  if (!isRepositoryName(name)) throw new RegistryError('NAME_INVALID', 'invalid repository name', { name });
  return name;
}
