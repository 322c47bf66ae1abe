/**
 * Every `berth` command with Docker's names and aliases. Bodies load on demand so that
 * starting the CLI stays cheap.
 */
import type { CommandDef, GroupDef } from './command.js';

export const groups: readonly GroupDef[] = [
  { name: 'container', summary: 'Manage containers' },
  { name: 'image', summary: 'Manage images' },
  { name: 'registry', summary: 'Run an OCI distribution registry' },
  { name: 'system', summary: 'Manage Berth' },
];

/** Top-level commands listed first in `berth --help`, in this order. */
export const commonCommands = ['run', 'exec', 'ps', 'pull', 'push', 'images', 'login', 'logout', 'version', 'info'];

export const commands: readonly CommandDef[] = [
  {
    path: ['container', 'attach'],
    aliases: [['attach']],
    summary: "Connect your terminal's input and output to a running container",
    usage: '[OPTIONS] CONTAINER',
    load: async () => (await import('./commands/container-attach.js')).attachCommand,
  },
  {
    path: ['container', 'create'],
    aliases: [['create']],
    summary: 'Create a container without starting it',
    usage: '[OPTIONS] IMAGE [COMMAND] [ARG...]',
    load: async () => (await import('./commands/container-run.js')).createCommand,
  },
  {
    path: ['container', 'exec'],
    aliases: [['exec']],
    summary: 'Run a command in a running container',
    usage: '[OPTIONS] CONTAINER COMMAND [ARG...]',
    load: async () => (await import('./commands/container-exec.js')).execCommand,
  },
  {
    path: ['container', 'inspect'],
    summary: 'Show low-level details of one or more containers',
    usage: '[OPTIONS] CONTAINER [CONTAINER...]',
    load: async () => (await import('./commands/inspect.js')).containerInspectCommand,
  },
  {
    path: ['container', 'kill'],
    aliases: [['kill']],
    summary: 'Send a signal (SIGKILL unless told otherwise) to one or more running containers',
    usage: '[OPTIONS] CONTAINER [CONTAINER...]',
    load: async () => (await import('./commands/container-lifecycle.js')).killCommand,
  },
  {
    path: ['container', 'logs'],
    aliases: [['logs']],
    summary: 'Show what a container has written to its output',
    usage: '[OPTIONS] CONTAINER',
    load: async () => (await import('./commands/container-logs.js')).logsCommand,
  },
  {
    path: ['container', 'ls'],
    aliases: [['container', 'list'], ['container', 'ps'], ['ps']],
    summary: 'List containers',
    usage: '[OPTIONS]',
    load: async () => (await import('./commands/container-list.js')).psCommand,
  },
  {
    path: ['container', 'pause'],
    aliases: [['pause']],
    summary: 'Suspend every process in one or more containers',
    usage: 'CONTAINER [CONTAINER...]',
    load: async () => (await import('./commands/container-lifecycle.js')).pauseCommand,
  },
  {
    path: ['container', 'prune'],
    summary: 'Remove every stopped container',
    usage: '[OPTIONS]',
    load: async () => (await import('./commands/container-prune.js')).pruneCommand,
  },
  {
    path: ['container', 'rename'],
    aliases: [['rename']],
    summary: 'Give a container a new name',
    usage: 'CONTAINER NEW_NAME',
    load: async () => (await import('./commands/container-lifecycle.js')).renameCommand,
  },
  {
    path: ['container', 'restart'],
    aliases: [['restart']],
    summary: 'Restart one or more containers',
    usage: '[OPTIONS] CONTAINER [CONTAINER...]',
    load: async () => (await import('./commands/container-lifecycle.js')).restartCommand,
  },
  {
    path: ['container', 'rm'],
    aliases: [['container', 'remove'], ['rm']],
    summary: 'Remove one or more containers',
    usage: '[OPTIONS] CONTAINER [CONTAINER...]',
    load: async () => (await import('./commands/container-lifecycle.js')).rmCommand,
  },
  {
    path: ['container', 'run'],
    aliases: [['run']],
    summary: 'Create a container from an image and run it',
    usage: '[OPTIONS] IMAGE [COMMAND] [ARG...]',
    load: async () => (await import('./commands/container-run.js')).runCommand,
  },
  {
    path: ['container', 'start'],
    aliases: [['start']],
    summary: 'Start one or more stopped containers',
    usage: '[OPTIONS] CONTAINER [CONTAINER...]',
    load: async () => (await import('./commands/container-start.js')).startCommand,
  },
  {
    path: ['container', 'stop'],
    aliases: [['stop']],
    summary: 'Stop one or more running containers',
    usage: '[OPTIONS] CONTAINER [CONTAINER...]',
    load: async () => (await import('./commands/container-lifecycle.js')).stopCommand,
  },
  {
    path: ['container', 'top'],
    aliases: [['top']],
    summary: 'Show the processes running in a container',
    usage: 'CONTAINER [ps OPTIONS]',
    load: async () => (await import('./commands/container-top.js')).topCommand,
  },
  {
    path: ['container', 'unpause'],
    aliases: [['unpause']],
    summary: 'Resume every process in one or more paused containers',
    usage: 'CONTAINER [CONTAINER...]',
    load: async () => (await import('./commands/container-lifecycle.js')).unpauseCommand,
  },
  {
    path: ['container', 'wait'],
    aliases: [['wait']],
    summary: 'Wait until one or more containers stop, then print their exit codes',
    usage: 'CONTAINER [CONTAINER...]',
    load: async () => (await import('./commands/container-lifecycle.js')).waitCommand,
  },
  {
    path: ['image', 'bootstrap'],
    summary: "Build a base image from the host's tools (busybox)",
    usage: '[OPTIONS] busybox [REPOSITORY[:TAG]]',
    description:
      "Build a minimal root filesystem from the host's static busybox (a symlink for every\napplet, /etc/passwd, /etc/group and the usual directories) and import it as an image,\nbusybox:latest unless another name is given.",
    load: async () => (await import('./commands/image-bootstrap.js')).bootstrapCommand,
  },
  {
    path: ['image', 'history'],
    aliases: [['history']],
    summary: 'Show the history of an image',
    usage: '[OPTIONS] IMAGE',
    load: async () => (await import('./commands/image-history.js')).historyCommand,
  },
  {
    path: ['image', 'import'],
    aliases: [['import']],
    summary: 'Create a filesystem image from the contents of a tarball',
    usage: '[OPTIONS] file|- [REPOSITORY[:TAG]]',
    load: async () => (await import('./commands/image-import.js')).importCommand,
  },
  {
    path: ['image', 'inspect'],
    summary: 'Show low-level details of one or more images',
    usage: '[OPTIONS] IMAGE [IMAGE...]',
    load: async () => (await import('./commands/inspect.js')).imageInspectCommand,
  },
  {
    path: ['image', 'load'],
    aliases: [['load']],
    summary: 'Load images from a tar archive (docker save format or OCI image layout) or STDIN',
    usage: '[OPTIONS]',
    load: async () => (await import('./commands/image-load.js')).loadCommand,
  },
  {
    path: ['image', 'ls'],
    aliases: [['image', 'list'], ['images']],
    summary: 'List images',
    usage: '[OPTIONS] [REPOSITORY[:TAG]]',
    load: async () => (await import('./commands/image-list.js')).imagesCommand,
  },
  {
    path: ['image', 'pull'],
    aliases: [['pull']],
    summary: 'Download an image from a registry',
    usage: '[OPTIONS] NAME[:TAG|@DIGEST]',
    load: async () => (await import('./commands/image-pull.js')).pullCommand,
  },
  {
    path: ['image', 'push'],
    aliases: [['push']],
    summary: 'Upload an image to a registry',
    usage: '[OPTIONS] NAME[:TAG]',
    load: async () => (await import('./commands/image-push.js')).pushCommand,
  },
  {
    path: ['image', 'prune'],
    summary: 'Remove unused images',
    usage: '[OPTIONS]',
    load: async () => (await import('./commands/image-prune.js')).imagePruneCommand,
  },
  {
    path: ['image', 'rm'],
    aliases: [['image', 'remove'], ['rmi']],
    summary: 'Remove one or more images',
    usage: '[OPTIONS] IMAGE [IMAGE...]',
    load: async () => (await import('./commands/image-remove.js')).rmiCommand,
  },
  {
    path: ['image', 'save'],
    aliases: [['save']],
    summary: 'Save one or more images to a tar archive (streamed to STDOUT by default)',
    usage: '[OPTIONS] IMAGE [IMAGE...]',
    description:
      'Save one or more images to a tar archive (streamed to STDOUT by default).\n\nThe archive is in the format docker save writes (manifest.json, repositories and a\ndirectory per layer) unless --format oci asks for an OCI image layout (oci-layout,\nindex.json, blobs/sha256). "berth load" reads both, "docker load" the first, skopeo both\n(docker-archive:FILE, and oci:DIR once the layout is untarred).',
    load: async () => (await import('./commands/image-save.js')).saveCommand,
  },
  {
    path: ['image', 'tag'],
    aliases: [['tag']],
    summary: 'Give an image another name: TARGET_IMAGE refers to SOURCE_IMAGE',
    usage: 'SOURCE_IMAGE[:TAG] TARGET_IMAGE[:TAG]',
    load: async () => (await import('./commands/image-remove.js')).tagCommand,
  },
  {
    path: ['inspect'],
    summary: 'Show low-level details of Berth objects',
    usage: '[OPTIONS] NAME|ID [NAME|ID...]',
    load: async () => (await import('./commands/inspect.js')).inspectCommand,
  },
  {
    path: ['login'],
    summary: 'Log in to a registry',
    usage: '[OPTIONS] [SERVER]',
    description: 'Log in to a registry.\nIf no server is specified, the default is Docker Hub (https://index.docker.io/v1/).',
    load: async () => (await import('./commands/registry-login.js')).loginCommand,
  },
  {
    path: ['logout'],
    summary: 'Log out from a registry',
    usage: '[SERVER]',
    description: 'Log out from a registry.\nIf no server is specified, the default is Docker Hub (https://index.docker.io/v1/).',
    load: async () => (await import('./commands/registry-login.js')).logoutCommand,
  },
  {
    path: ['registry', 'serve'],
    summary: 'Serve an OCI distribution registry (push, pull, auth, online garbage collection, pull-through cache)',
    usage: '[OPTIONS]',
    description:
      'Serve an OCI distribution registry (spec 1.1) from a directory, in this process, until\nSIGINT or SIGTERM. SIGUSR1 runs a garbage collection now. Settings come from flags,\nthen --config (YAML, laid out like the reference registry\'s), then defaults.\n\nWith --proxy-remote-url (or proxy.remoteurl) it is a pull-through cache of that registry:\nmanifests and blobs it lacks are fetched, verified, stored and served (blobs stream to the\nclient while they are stored; concurrent requests share one download); cached tags are\nserved for --proxy-ttl, then revalidated with a HEAD (the cached copy is served when\nupstream fails). Pushes and deletes answer 405 UNSUPPORTED; tags lists come from upstream,\nthe catalog lists what is cached.',
    load: async () => (await import('./commands/registry-serve.js')).registryServeCommand,
  },
  {
    path: ['system', 'df'],
    summary: 'Show disk usage',
    usage: '[OPTIONS]',
    load: async () => (await import('./commands/system-df.js')).dfCommand,
  },
  {
    path: ['system', 'events'],
    aliases: [['events']],
    summary: 'Stream events from the daemon as they happen',
    usage: '[OPTIONS]',
    load: async () => (await import('./commands/system-events.js')).eventsCommand,
  },
  {
    path: ['system', 'info'],
    aliases: [['info']],
    summary: 'Show system-wide information',
    usage: '[OPTIONS]',
    load: async () => (await import('./commands/system-info.js')).infoCommand,
  },
  {
    path: ['version'],
    summary: 'Show version information of the client and the daemon',
    usage: '[OPTIONS]',
    load: async () => (await import('./commands/system-version.js')).versionCommand,
  },
];

/** Finds the command named by the leading words of `argv`; returns it and the words used. */
export function findCommand(argv: readonly string[]): { def: CommandDef; used: readonly string[] } | null {
  for (const def of commands) {
    for (const p of [def.path, ...(def.aliases ?? [])]) {
      if (p.length <= argv.length && p.every((w, i) => argv[i] === w)) return { def, used: p };
    }
  }
  return null;
}

/** Every spelling of a command, as docker lists them under "Aliases:". */
export function aliasList(def: CommandDef): string[] {
  const all = [def.path, ...(def.aliases ?? [])];
  const grouped = all.filter((p) => p.length > 1);
  const top = all.filter((p) => p.length === 1);
  return [...grouped, ...top].map((p) => p.join(' '));
}
