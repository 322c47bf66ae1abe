/**
 * Go's text/tabwriter (left-aligned, space padding), which lays out Docker's tables:
 * tab-terminated cells form columns; a column's width is its widest cell plus padding, at least
 * `minWidth`; the text after a line's last tab is not part of any column; a line without tabs
 * ends the current block of columns.
 */

export interface TabWriterOptions {
  readonly minWidth: number;
  readonly tabWidth: number;
  readonly padding: number;
  readonly padChar?: string;
}

interface Cell {
  readonly text: string;
  readonly width: number;
  readonly htab: boolean;
}

/** Docker's table settings: `tabwriter.NewWriter(out, 10, 1, 3, ' ', 0)`. */
export const tableOptions: TabWriterOptions = { minWidth: 10, tabWidth: 1, padding: 3 };

function runeWidth(s: string): number {
  let n = 0;
  for (const _ of s) n++;
  return n;
}

export class TabWriter {
  private lines: Cell[][] = [[]];
  private cell = '';
  private out = '';

  constructor(private readonly opts: TabWriterOptions) {}

  write(text: string): void {
    for (const ch of text) {
      if (ch === '\t' || ch === '\v') {
        this.terminateCell(ch === '\t');
      } else if (ch === '\n' || ch === '\f') {
        const ncells = this.terminateCell(false);
        this.lines.push([]);
        if (ch === '\f' || ncells === 1) this.flushLines();
      } else {
        this.cell += ch;
      }
    }
  }

  /** Lays out everything buffered and returns all output produced so far (then clears it). */
  flush(): string {
    this.flushLines();
    const o = this.out;
    this.out = '';
    return o;
  }

  /** Output of completed blocks so far (for streaming). */
  take(): string {
    const o = this.out;
    this.out = '';
    return o;
  }

  private terminateCell(htab: boolean): number {
    const line = this.lines[this.lines.length - 1]!;
    line.push({ text: this.cell, width: runeWidth(this.cell), htab });
    this.cell = '';
    return line.length;
  }

  private flushLines(): void {
    // The pending text becomes the last cell of the last (unterminated) line.
    if (this.cell !== '') {
      const line = this.lines[this.lines.length - 1]!;
      line.push({ text: this.cell, width: runeWidth(this.cell), htab: false });
      this.cell = '';
    }
    const widths: number[] = [];
    this.format(widths, 0, this.lines.length);
    this.lines = [[]];
  }

  private format(widths: number[], line0: number, line1: number): void {
    const column = widths.length;
    for (let t = line0; t < line1; t++) {
      const line = this.lines[t]!;
      if (column >= line.length - 1) continue;
      this.writeLines(widths, line0, t);
      line0 = t;
      let width = this.opts.minWidth;
      for (; t < line1; t++) {
        const l = this.lines[t]!;
        if (column >= l.length - 1) break;
        const w = l[column]!.width + this.opts.padding;
        if (w > width) width = w;
      }
      widths.push(width);
      this.format(widths, line0, t);
      widths.pop();
      line0 = t;
    }
    this.writeLines(widths, line0, line1);
  }

  private writeLines(widths: number[], line0: number, line1: number): void {
    const pad = this.opts.padChar ?? ' ';
    for (let i = line0; i < line1; i++) {
      const line = this.lines[i]!;
      line.forEach((c, j) => {
        this.out += c.text;
        if (j < widths.length) this.out += pad.repeat(Math.max(0, widths[j]! - c.width));
      });
      if (i + 1 < this.lines.length) this.out += '\n';
    }
  }
}

/** Runs `text` through a tabwriter with `opts` (Docker's table settings by default). */
export function tabwrite(text: string, opts: TabWriterOptions = tableOptions): string {
  const w = new TabWriter(opts);
  w.write(text);
  return w.flush();
}
