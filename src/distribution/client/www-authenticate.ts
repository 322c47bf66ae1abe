/**
 * `WWW-Authenticate` challenges (RFC 7235) as registries send them:
 * `Bearer realm="https://auth.example/token",service="registry",scope="repository:a/b:pull"` or
 * `Basic realm="Registry"`. One header may carry several challenges and a response several headers.
 */

export interface AuthChallenge {
  /** Lower-cased scheme: `bearer`, `basic`, … */
  readonly scheme: string;
  /** Parameters with lower-cased names (`realm`, `service`, `scope`, `error`). */
  readonly params: Readonly<Record<string, string>>;
}

const tokenChar = /[!#$%&'*+.^_`|~0-9A-Za-z-]/;

/** Parses every challenge of one or more header values; malformed trailing parts are dropped. */
export function parseWwwAuthenticate(header: string | string[] | undefined): AuthChallenge[] {
  if (header === undefined) return [];
  const values = Array.isArray(header) ? header : [header];
  return values.flatMap(parseOne);
}

function parseOne(text: string): AuthChallenge[] {
  const out: Array<{ scheme: string; params: Record<string, string> }> = [];
  let i = 0;
  const n = text.length;
  const skipSpace = () => {
    while (i < n && (text[i] === ' ' || text[i] === '\t')) i++;
  };
  const readToken = (): string => {
    const start = i;
    while (i < n && tokenChar.test(text[i]!)) i++;
    return text.slice(start, i);
  };
  let current: { scheme: string; params: Record<string, string> } | undefined;
  while (i < n) {
    skipSpace();
    if (text[i] === ',') {
      i++;
      continue;
    }
    const start = i;
    const word = readToken();
    if (word === '') break; // not a token: the rest is garbage
    skipSpace();
    if (text[i] === '=' && current) {
      // Either an auth-param of the current challenge, or token68 (`Basic abc==`).
      i++;
      skipSpace();
      let value: string;
      if (text[i] === '"') {
        i++;
        let v = '';
        while (i < n && text[i] !== '"') {
          if (text[i] === '\\' && i + 1 < n) i++;
          v += text[i];
          i++;
        }
        i++; // closing quote
        value = v;
      } else {
        const vs = i;
        while (i < n && text[i] !== ',' && text[i] !== ' ' && text[i] !== '\t') i++;
        value = text.slice(vs, i);
      }
      current.params[word.toLowerCase()] = value;
      continue;
    }
    // A new challenge: `scheme` followed by space or end or comma.
    i = start + word.length;
    current = { scheme: word.toLowerCase(), params: {} };
    out.push(current);
  }
  return out;
}
