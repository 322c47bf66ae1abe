/** strconv.Unquote for "…", `…` and '…'. */
export function unquote(q: string, fail: () => never): string {
  if (q.length < 2) fail();
  const quote = q[0];
  if (quote !== q[q.length - 1]) fail();
  const body = q.slice(1, -1);
  if (quote === '`') return body.replace(/\r/g, '');
  if (quote !== '"' && quote !== "'") fail();
  let out = '';
  for (let i = 0; i < body.length; i++) {
    const c = body[i]!;
    if (c !== '\\') {
      if (c === quote || c === '\n') fail();
      out += c;
      continue;
    }
    const e = body[++i];
    switch (e) {
      case 'a':
        out += '\x07';
        break;
      case 'b':
        out += '\b';
        break;
      case 'f':
        out += '\f';
        break;
      case 'n':
        out += '\n';
        break;
      case 'r':
        out += '\r';
        break;
      case 't':
        out += '\t';
        break;
      case 'v':
        out += '\v';
        break;
      case '\\':
        out += '\\';
        break;
      case "'":
      case '"':
        if (e !== quote) fail();
        out += e;
        break;
      case 'x':
      case 'u':
      case 'U': {
        const n = e === 'x' ? 2 : e === 'u' ? 4 : 8;
        const hex = body.slice(i + 1, i + 1 + n);
        if (!new RegExp(`^[0-9a-fA-F]{${n}}$`).test(hex)) fail();
        const v = parseInt(hex, 16);
        out += e === 'x' ? String.fromCharCode(v) : String.fromCodePoint(v);
        i += n;
        break;
      }
      default: {
        if (e !== undefined && e >= '0' && e <= '7') {
          const oct = body.slice(i, i + 3);
          if (!/^[0-7]{3}$/.test(oct)) fail();
          const v = parseInt(oct, 8);
          if (v > 255) fail();
          out += String.fromCharCode(v);
          i += 2;
          break;
        }
        fail();
      }
    }
  }
  return out;
}
