/** The fields `history --format` offers (docker's historyContext), and their headers. */
import type { HistoryResponseItem } from '../../api/client/index.js';
import { toGoJsonEscaped, type GoStruct } from '../template/index.js';
import { ellipsis, humanDuration, humanSize, truncateId } from './units.js';

export const defaultHistoryTable = 'table {{.ID}}\t{{.CreatedSince}}\t{{.CreatedBy}}\t{{.Size}}\t{{.Comment}}';
export const nonHumanHistoryTable = 'table {{.ID}}\t{{.CreatedAt}}\t{{.CreatedBy}}\t{{.Size}}\t{{.Comment}}';

export const historyHeaders: Readonly<Record<string, string>> = {
  ID: 'IMAGE',
  CreatedSince: 'CREATED',
  CreatedAt: 'CREATED AT',
  CreatedBy: 'CREATED BY',
  Size: 'SIZE',
  Comment: 'COMMENT',
};

/** NewHistoryFormat: the table Docker picks when no `--format` is given. */
export function historyFormat(format: string, quiet: boolean, human: boolean): string {
  if (format === '' || format === 'table') {
    if (quiet) return '{{.ID}}';
    return human ? defaultHistoryTable : nonHumanHistoryTable;
  }
  return format;
}

/** Times before 2000 are shown as N/A in human form (docker's `epoch`). */
const epoch2000 = 946_684_800;

function pad2(n: number): string {
  return String(n).padStart(2, '0');
}

/** Go's time.Unix(s, 0).Format(time.RFC3339) in local time. */
export function rfc3339Local(unixSeconds: number): string {
  const d = new Date(unixSeconds * 1000);
  const mins = -d.getTimezoneOffset();
  const tz = mins === 0 ? 'Z' : `${mins >= 0 ? '+' : '-'}${pad2(Math.trunc(Math.abs(mins) / 60))}:${pad2(Math.abs(mins) % 60)}`;
  return `${d.getFullYear()}-${pad2(d.getMonth() + 1)}-${pad2(d.getDate())}T${pad2(d.getHours())}:${pad2(d.getMinutes())}:${pad2(d.getSeconds())}${tz}`;
}

export class HistoryContext implements GoStruct {
  readonly goTypeName = '*image.historyContext';

  constructor(
    private readonly h: HistoryResponseItem,
    private readonly trunc: boolean,
    private readonly human: boolean,
    private readonly now: number = Date.now(),
  ) {}

  ID(): string {
    return this.trunc ? truncateId(this.h.Id) : this.h.Id;
  }

  CreatedAt(): string {
    return rfc3339Local(this.h.Created);
  }

  CreatedSince(): string {
    if (!this.human) return this.CreatedAt();
    if (this.h.Created <= epoch2000) return 'N/A';
    return `${humanDuration(this.now - this.h.Created * 1000)} ago`;
  }

  CreatedBy(): string {
    const by = this.h.CreatedBy.replaceAll('\t', ' ');
    return this.trunc ? ellipsis(by, 45) : by;
  }

  Size(): string {
    return this.human ? humanSize(this.h.Size, 3) : String(this.h.Size);
  }

  Comment(): string {
    return this.h.Comment;
  }

  goJSON(): string {
    return toGoJsonEscaped({
      Comment: this.Comment(),
      CreatedAt: this.CreatedAt(),
      CreatedBy: this.CreatedBy(),
      CreatedSince: this.CreatedSince(),
      ID: this.ID(),
      Size: this.Size(),
    });
  }
}
