export { Runc, runcErrorMessage, type RuncState } from './runc.js';
export { Conmon, type ConmonOptions, type CreateOptions, type ExecOptions, type ExecSession } from './conmon.js';
export { ExitWatcher, readExitCode, wasOomKilled, parseExitFile, type ExitEvent } from './exit-watcher.js';
export { readContainerLog, parseLogLine, toDockerTimestamp, logSize, type LogRecord, type ReadLogOptions } from './container-log.js';
export { ExecFileRunner, RecordingRunner, type CommandRunner, type CommandResult } from './command-runner.js';
