/**
 * Friendly random names for containers created without `--name`: `<adjective>_<surname>`, the
 * shape Docker users know. The surnames are people who shaped computing and the sciences.
 */
import { randomInt } from 'node:crypto';

const adjectives = [
  'agile', 'amazing', 'bold', 'brave', 'bright', 'busy', 'calm', 'careful', 'charming', 'cheerful',
  'clever', 'cool', 'curious', 'daring', 'dazzling', 'eager', 'earnest', 'elated', 'epic', 'fervent',
  'festive', 'fond', 'friendly', 'gallant', 'gentle', 'glad', 'graceful', 'happy', 'hardy', 'humble',
  'inspiring', 'jolly', 'keen', 'kind', 'lively', 'loyal', 'lucid', 'magical', 'merry', 'modest',
  'nimble', 'noble', 'optimistic', 'patient', 'peaceful', 'playful', 'pleasant', 'proud', 'quick', 'quiet',
  'radiant', 'relaxed', 'sharp', 'serene', 'sleepy', 'smart', 'steady', 'sunny', 'swift', 'tender',
  'thirsty', 'trusting', 'upbeat', 'vibrant', 'vigilant', 'warm', 'wise', 'witty', 'youthful', 'zealous',
];

const surnames = [
  'agnesi', 'allen', 'babbage', 'backus', 'bardeen', 'bartik', 'bell', 'bohr', 'boole', 'borg',
  'brattain', 'cerf', 'church', 'codd', 'curie', 'darwin', 'dijkstra', 'einstein', 'engelbart', 'euclid',
  'euler', 'faraday', 'fermat', 'fermi', 'feynman', 'franklin', 'galileo', 'gauss', 'goldberg', 'goodall',
  'hamilton', 'hawking', 'heisenberg', 'hertz', 'hodgkin', 'holberton', 'hopper', 'hypatia', 'johnson', 'kahn',
  'kepler', 'knuth', 'lamarr', 'lamport', 'liskov', 'lovelace', 'maxwell', 'mccarthy', 'meitner', 'mendel',
  'minsky', 'morse', 'newton', 'noether', 'pascal', 'pasteur', 'perlman', 'planck', 'ritchie', 'shannon',
  'sinoussi', 'tesla', 'thompson', 'torvalds', 'turing', 'vaughan', 'volta', 'wilson', 'wozniak', 'yalow',
];

export function randomName(): string {
  const a = adjectives[randomInt(adjectives.length)]!;
  const s = surnames[randomInt(surnames.length)]!;
  return `${a}_${s}`;
}
