/**
 * Streams of JSON values as the daemon sends them (events, pull/import progress): one object
 * after another, separated by newlines or nothing at all, split across chunks anywhere.
 */
import { StringDecoder } from 'node:string_decoder';
import type { Readable } from 'node:stream';

/** Incremental splitter: feed text, get complete top-level JSON texts. */
export class JsonSplitter {
  private buf = '';
  private depth = 0;
  private inString = false;
  private escaped = false;
  private start = -1;
  private scanned = 0;

  push(text: string): string[] {
    this.buf += text;
    const out: string[] = [];
    for (let i = this.scanned; i < this.buf.length; i++) {
      const c = this.buf[i]!;
      if (this.inString) {
        if (this.escaped) this.escaped = false;
        else if (c === '\\') this.escaped = true;
        else if (c === '"') this.inString = false;
        continue;
      }
      if (this.depth === 0) {
        if (c === '{' || c === '[') {
          this.start = i;
          this.depth = 1;
        } else if (!/\s/.test(c)) {
          throw new SyntaxError(`invalid character ${JSON.stringify(c)} looking for beginning of value`);
        }
        continue;
      }
      if (c === '"') this.inString = true;
      else if (c === '{' || c === '[') this.depth++;
      else if (c === '}' || c === ']') {
        this.depth--;
        if (this.depth === 0) {
          out.push(this.buf.slice(this.start, i + 1));
          this.start = -1;
        }
      }
    }
    if (this.depth === 0) {
      this.buf = '';
      this.scanned = 0;
    } else {
      this.buf = this.buf.slice(this.start);
      this.scanned = this.buf.length;
      this.start = 0;
    }
    return out;
  }

  /** True when the stream ended inside a value. */
  get incomplete(): boolean {
    return this.depth > 0;
  }
}

/** Yields the text of each JSON value of a response body as it arrives. */
export async function* jsonTexts(src: Readable): AsyncGenerator<string> {
  const dec = new StringDecoder('utf8');
  const split = new JsonSplitter();
  for await (const chunk of src) yield* split.push(dec.write(chunk as Buffer));
  yield* split.push(dec.end());
  if (split.incomplete) throw new SyntaxError('unexpected end of JSON input');
}

/** Yields each JSON value of a response body as it arrives. */
export async function* jsonStream<T = unknown>(src: Readable): AsyncGenerator<T> {
  for await (const text of jsonTexts(src)) yield JSON.parse(text) as T;
}
