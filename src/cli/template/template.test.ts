import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Template, TemplateExecError, TemplateParseError } from './index.js';
import { formatFloatG, goQuote, sprintf } from './go-fmt.js';

const run = (text: string, data: unknown, missingKey: 'default' | 'error' = 'default') => Template.parse(text).execute(data, { missingKey });

const data = {
  Name: 'web',
  Id: 'abc123',
  Count: 3,
  Ratio: 1.5,
  Running: true,
  Empty: '',
  Nil: null,
  Env: ['A=1', 'B=2'],
  Labels: { 'com.example.b': 'two', 'com.example.a': 'one' },
  State: { Status: 'running', Pid: 42, Health: null },
  Ports: [],
  Nested: [{ Name: 'x', Tags: ['t1'] }, { Name: 'y', Tags: [] }],
};

test('fields, nested fields and dot', () => {
  assert.equal(run('{{.Name}}', data), 'web');
  assert.equal(run('{{.State.Status}}/{{.State.Pid}}', data), 'running/42');
  assert.equal(run('{{.}}', 'plain'), 'plain');
  assert.equal(run('id={{ .Id }}!', data), 'id=abc123!');
  assert.equal(run('{{$.Name}}', data), 'web');
});

test('printing of Go values', () => {
  assert.equal(run('{{.Env}}', data), '[A=1 B=2]');
  assert.equal(run('{{.Labels}}', data), 'map[com.example.a:one com.example.b:two]');
  assert.equal(run('{{.Nil}}', data), '<nil>');
  assert.equal(run('{{.Missing}}', data), '<no value>');
  assert.equal(run('{{.Ratio}} {{.Running}} {{.Count}}', data), '1.5 true 3');
  assert.equal(run('{{.Ports}}', data), '[]');
  assert.equal(run('{{.Nested}}', data), '[map[Name:x Tags:[t1]] map[Name:y Tags:[]]]');
  assert.equal(run('{{0.000001}} {{123456.5}} {{1234567.5}}', {}), '1e-06 123456.5 1.2345675e+06');
});

test('text outside actions and trim markers', () => {
  assert.equal(run('a  {{- .Name -}}  b', data), 'awebb');
  assert.equal(run('a {{.Name}} b', data), 'a web b');
  assert.equal(run('x\n  {{- /* comment */ -}}\n y', data), 'xy');
  assert.equal(run('{{/* nothing */}}z', data), 'z');
  assert.equal(run('{{3 -}} < {{- 4}}', {}), '3<4');
});

test('json and the docker functions', () => {
  assert.equal(run('{{json .Labels}}', data), '{"com.example.b":"two","com.example.a":"one"}');
  assert.equal(run('{{json .Name}}', data), '"web"');
  assert.equal(run('{{json "<&>"}}', data), '"<&>"');
  assert.equal(run('{{json .Nil}}', data), 'null');
  assert.equal(run('{{join .Env ","}}', data), 'A=1,B=2');
  assert.equal(run('{{split "a:b:c" ":"}}', data), '[a b c]');
  assert.equal(run('{{index (split "a:b:c" ":") 1}}', data), 'b');
  assert.equal(run('{{upper .Name}} {{lower "ABC"}} {{title "hello big world"}}', data), 'WEB abc Hello Big World');
  assert.equal(run('{{truncate .Id 3}}|{{truncate "ab" 5}}', data), 'abc|ab');
  assert.equal(run('[{{pad .Name 2 1}}]', data), '[  web ]');
  assert.equal(run('{{.Name | upper}}', data), 'WEB');
  assert.equal(run('{{.Name | printf "%s-%s" "x"}}', data), 'x-web');
});

test('if / else if / else / with', () => {
  assert.equal(run('{{if .Running}}up{{else}}down{{end}}', data), 'up');
  assert.equal(run('{{if .Empty}}a{{else if .Nil}}b{{else if .Count}}c{{else}}d{{end}}', data), 'c');
  assert.equal(run('{{if not .Empty}}empty{{end}}', data), 'empty');
  assert.equal(run('{{with .State}}{{.Status}}{{end}}', data), 'running');
  assert.equal(run('{{with .Empty}}x{{else}}none{{end}}', data), 'none');
  assert.equal(run('{{with .Empty}}x{{else with .Name}}{{.}}{{end}}', data), 'web');
  assert.equal(run('{{if and .Running .Count}}yes{{end}}', data), 'yes');
  assert.equal(run('{{or .Empty .Name}}', data), 'web');
  assert.equal(run('{{and .Name .Empty 7}}', data), '');
  assert.equal(run('{{if .Missing}}x{{else}}y{{end}}', data), 'y');
});

test('range over slices and maps, with variables, else, break and continue', () => {
  assert.equal(run('{{range .Env}}<{{.}}>{{end}}', data), '<A=1><B=2>');
  assert.equal(run('{{range $i, $e := .Env}}{{$i}}:{{$e}} {{end}}', data), '0:A=1 1:B=2 ');
  assert.equal(run('{{range $k, $v := .Labels}}{{$k}}={{$v}};{{end}}', data), 'com.example.a=one;com.example.b=two;');
  assert.equal(run('{{range $v := .Env}}{{$v}}{{end}}', data), 'A=1B=2');
  assert.equal(run('{{range .Ports}}x{{else}}none{{end}}', data), 'none');
  assert.equal(run('{{range .Nil}}x{{else}}nil{{end}}', data), 'nil');
  assert.equal(run('{{range .Nested}}{{.Name}}{{range .Tags}}[{{.}}]{{end}}{{end}}', data), 'x[t1]y');
  assert.equal(run('{{range .Env}}{{if eq . "B=2"}}{{break}}{{end}}{{.}}{{end}}', data), 'A=1');
  assert.equal(run('{{range .Env}}{{if eq . "A=1"}}{{continue}}{{end}}{{.}}{{end}}', data), 'B=2');
  assert.equal(run('{{range 3}}{{.}}{{end}}', data), '012');
  assert.equal(run('{{range $i, $e := .Env}}{{$.Name}}{{end}}', data), 'webweb');
});

test('variables: declare, assign, scope', () => {
  assert.equal(run('{{$x := .Name}}{{$x}}', data), 'web');
  assert.equal(run('{{$x := 1}}{{if true}}{{$x = 2}}{{end}}{{$x}}', data), '2');
  assert.equal(run('{{$x := "a"}}{{with .State}}{{$x}}{{.Status}}{{end}}', data), 'arunning');
  assert.equal(run('{{$s := .State}}{{$s.Pid}}', data), '42');
  assert.equal(run('{{(index .Nested 0).Name}}', data), 'x');
});

test('comparison functions', () => {
  assert.equal(run('{{eq .Count 3}} {{eq .Name "a" "web"}} {{ne .Name "web"}}', data), 'true true false');
  assert.equal(run('{{lt 1 2}} {{le 2 2}} {{gt "b" "a"}} {{ge 1 2}}', data), 'true true true false');
  assert.equal(run('{{eq .Nil nil}}', data), 'true');
  assert.equal(run('{{eq .Ratio 1.5}}', data), 'true');
});

test('len, index, slice, print, println, printf', () => {
  assert.equal(run('{{len .Env}} {{len .Labels}} {{len .Name}}', data), '2 2 3');
  assert.equal(run('{{index .Env 1}} {{index .Labels "com.example.a"}}', data), 'B=2 one');
  assert.equal(run('[{{index .Labels "missing"}}]', data), '[]');
  assert.equal(run('{{slice .Name 1}} {{slice .Env 0 1}} {{slice .Name 1 2}}', data), 'eb [A=1] e');
  assert.equal(run('{{print "a" 1 2 "b"}}', data), 'a1 2b');
  assert.equal(run('{{println "a" 1}}', data), 'a 1\n');
  assert.equal(run('{{printf "%d-%5s-%-4s|%q %v %.2f %x" 7 "ab" "c" "q" .Env 3.14159 255}}', data), '7-   ab-c   |"q" [A=1 B=2] 3.14 ff');
  assert.equal(run('{{printf "%s"}}', data), '%!s(MISSING)');
  assert.equal(run('{{printf "%d" "x"}}', data), '%!d(string=x)');
  assert.equal(run('{{printf "%s" 1 2}}', data), '%!s(int=1)%!(EXTRA int=2)');
});

test('strings and numbers literals', () => {
  assert.equal(run('{{"a\\tb"}}', data), 'a\tb');
  assert.equal(run('{{`raw\\n`}}', data), 'raw\\n');
  assert.equal(run("{{'a'}}", data), '97');
  assert.equal(run('{{0x10}} {{-3}} {{1_000}}', data), '16 -3 1000');
});

test('methods on struct values, with arguments', () => {
  class Ctx {
    readonly goTypeName = '*formatter.ContainerContext';
    ID(): string {
      return 'abc';
    }
    Label(name: string): string {
      return name === 'x' ? 'yes' : '';
    }
  }
  assert.equal(run('{{.ID}} {{.Label "x"}}', new Ctx()), 'abc yes');
  assert.throws(() => run('{{.Nope}}', new Ctx()), {
    message: 'template: :1:2: executing "" at <.Nope>: can\'t evaluate field Nope in type *formatter.ContainerContext',
  });
  assert.throws(() => run('{{.Label}}', new Ctx()), { message: /wrong number of args for Label: want 1 got 0/ });
  assert.throws(() => run('{{.constructor}}', new Ctx()), /can't evaluate field constructor/);
});

test('define and template', () => {
  assert.equal(run('{{define "t"}}<{{.}}>{{end}}{{template "t" .Name}}{{template "t" 1}}', data), '<web><1>');
  assert.equal(run('{{block "b" .Count}}[{{.}}]{{end}}', data), '[3]');
});

test('parse errors use Go wording', () => {
  const perr = (t: string) => {
    try {
      Template.parse(t);
    } catch (e) {
      assert.ok(e instanceof TemplateParseError, String(e));
      return (e as Error).message;
    }
    return 'no error';
  };
  assert.equal(perr('{{.Name'), 'template: :1: unclosed action');
  assert.equal(perr('{{foo .Name}}'), 'template: :1: function "foo" not defined');
  assert.equal(perr('{{if .A}}x'), 'template: :1: unexpected EOF');
  assert.equal(perr('{{end}}'), 'template: :1: unexpected {{end}}');
  assert.equal(perr('{{else}}'), 'template: :1: unexpected {{else}}');
  assert.equal(perr('{{}}'), 'template: :1: missing value for command');
  assert.equal(perr('{{if}}{{end}}'), 'template: :1: missing value for if');
  assert.equal(perr('{{$x}}'), 'template: :1: undefined variable "$x"');
  assert.equal(perr('{{.A}'), "template: :1: bad character U+007D '}'");
  assert.equal(perr('{{.A ^}}'), 'template: :1: unexpected "^" in operand');
  assert.equal(perr('{{.A €}}'), "template: :1: unrecognized character in action: U+20AC '€'");
  assert.equal(perr('{{"abc}}'), 'template: :1: unterminated quoted string');
  assert.equal(perr('{{break}}'), 'template: :1: {{break}} outside {{range}}');
  assert.equal(perr('a\n{{.A'), 'template: :2: unclosed action');
  assert.equal(perr('{{(.A}}'), 'template: :1: unclosed left paren');
  assert.equal(perr('{{.A | 3}}'), 'template: :1: non executable command in pipeline stage 2');
});

test('execution errors use Go wording', () => {
  const eerr = (t: string, d: unknown = data, mk: 'default' | 'error' = 'default') => {
    try {
      run(t, d, mk);
    } catch (e) {
      assert.ok(e instanceof TemplateExecError, String(e));
      return (e as Error).message;
    }
    return 'no error';
  };
  assert.equal(eerr('{{.Foo}}', data, 'error'), 'template: :1:2: executing "" at <.Foo>: map has no entry for key "Foo"');
  assert.equal(eerr('{{.Name.Foo}}'), 'template: :1:7: executing "" at <.Name.Foo>: can\'t evaluate field Foo in type string');
  assert.equal(eerr('{{.State.Health.Status}}'), 'template: :1:8: executing "" at <.State.Health.Status>: nil pointer evaluating interface {}.Status');
  assert.equal(eerr('{{len 3}}'), 'template: :1:2: executing "" at <len 3>: error calling len: len of type int');
  assert.equal(eerr('{{index .Env 5}}'), 'template: :1:2: executing "" at <index .Env 5>: error calling index: index out of range: 5');
  assert.equal(eerr('{{eq .Name 1}}'), 'template: :1:2: executing "" at <eq .Name 1>: error calling eq: incompatible types for comparison');
  assert.equal(eerr('{{upper 5}}'), 'template: :1:8: executing "" at <5>: wrong type for value; expected string; got int');
  assert.equal(eerr('{{not}}'), 'template: :1:2: executing "" at <not>: wrong number of args for not: want 1 got 0');
  assert.equal(eerr('{{.Name 1}}'), 'template: :1:2: executing "" at <.Name>: Name is not a method but has arguments');
  assert.equal(eerr('{{range .Name}}{{end}}'), 'template: :1:8: executing "" at <.Name>: range can\'t iterate over web');
  assert.equal(eerr('{{.Foo.Bar}}', data, 'error'), 'template: :1:6: executing "" at <.Foo.Bar>: map has no entry for key "Foo"');
  assert.equal(eerr('{{template "nope"}}'), 'template: :1:11: executing "" at <{{template "nope"}}>: no template "nope" associated with template ""');
});

test('go-fmt helpers', () => {
  assert.equal(goQuote('a"b\\c\n\x01é…'), '"a\\"b\\\\c\\n\\x01é…"');
  assert.equal(formatFloatG(1234567.5, -1), '1.2345675e+06');
  assert.equal(formatFloatG(4.41, 3), '4.41');
  assert.equal(formatFloatG(999.9, 3), '1e+03');
  assert.equal(formatFloatG(100, 3), '100');
  assert.equal(formatFloatG(0.5, 3), '0.5');
  assert.equal(sprintf('%05d|%+d|%x|%X|%o|%t|%c|%e|%g|%8.3f|%-8v|', [42, 5, 'hi', 255, 8, true, 65, 1234.5, 0.00001, 3.14159, 'x']), '00042|+5|6869|FF|10|true|A|1.234500e+03|1e-05|   3.142|x       |');
  assert.equal(sprintf('%T %T %T %T', ['s', 1, [], {}]), 'string int []interface {} map[string]interface {}');
  assert.equal(sprintf('100%%', []), '100%');
});
