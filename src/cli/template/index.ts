/**
 * Go text/template for `--format` and `inspect -f`: Go's syntax, semantics and error wording,
 * with Docker's extra functions.
 */
import { defaultFuncs, type FuncMap } from './funcs.js';
import { execute, type MissingKey } from './exec.js';
import { parse, type ParsedTemplate } from './parser.js';

export { TemplateParseError } from './parser.js';
export { TemplateExecError, type MissingKey } from './exec.js';
export { defaultFuncs, headerFuncs, toGoJson, toGoJsonEscaped, type FuncMap, type FuncSpec } from './funcs.js';
export { formatValue, goQuote, type GoStruct } from './go-fmt.js';

export class Template {
  private constructor(
    private readonly tree: ParsedTemplate,
    private readonly funcs: FuncMap,
  ) {}

  /** Parses `text`; throws TemplateParseError (`template: :1: …`). */
  static parse(text: string, funcs: FuncMap = defaultFuncs, name = ''): Template {
    return new Template(parse(text, new Set(funcs.keys()), name), funcs);
  }

  /** Runs the template; throws TemplateExecError (`template: :1:2: executing "" at <.X>: …`). */
  execute(data: unknown, opts: { missingKey?: MissingKey; funcs?: FuncMap } = {}): string {
    return execute(this.tree, data, opts.funcs ?? this.funcs, opts.missingKey ?? 'default');
  }
}
