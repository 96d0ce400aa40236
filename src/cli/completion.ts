import type { Command } from 'commander';

export const SHELLS = ['bash', 'zsh'] as const;
export type Shell = (typeof SHELLS)[number];

/**
 * A completion script for `shell`, generated from the program itself so that it lists exactly its commands and
 * each command's options (a command added later completes without editing this file).
 *
 * @example
 * completionScript(program, 'bash'); // eval "$(fcp completion bash)"
 */
export function completionScript(program: Command, shell: Shell): string {
  const commands = program.commands.map((command) => ({
    name: command.name(),
    description: command.description().replace(/\s+/g, ' '),
    options: command.options.flatMap((option) => [option.long, option.short]).filter((flag): flag is string => flag !== undefined),
  }));
  const rootOptions = program.options.map((option) => option.long).filter((flag): flag is string => flag !== undefined);
  if (shell === 'bash') {
    const cases = commands.map((command) => `    ${command.name}) words="${[...command.options, '--help'].join(' ')}" ;;`).join('\n');
    return [
      '# fcp completion for bash: eval "$(fcp completion bash)"',
      '_fcp() {',
      '  local current="${COMP_WORDS[COMP_CWORD]}" command="" word words',
      '  for word in "${COMP_WORDS[@]:1:COMP_CWORD-1}"; do',
      '    case "$word" in -*) ;; *) command="$word"; break ;; esac',
      '  done',
      '  case "$command" in',
      `    "") words="${[...commands.map((command) => command.name), ...rootOptions, '--help', '--version'].join(' ')}" ;;`,
      cases,
      '    *) words="" ;;',
      '  esac',
      '  COMPREPLY=($(compgen -W "$words" -- "$current"))',
      '}',
      'complete -o default -F _fcp fcp',
    ].join('\n');
  }
  const quote = (text: string) => text.replace(/'/g, "'\\''").replace(/:/g, '\\:');
  const cases = commands.map((command) => `    ${command.name}) compadd -- ${[...command.options, '--help'].join(' ')} ;;`).join('\n');
  return [
    '#compdef fcp',
    '# fcp completion for zsh: eval "$(fcp completion zsh)" after compinit',
    '_fcp() {',
    '  local -a commands',
    `  commands=(${commands.map((command) => `'${quote(command.name)}:${quote(command.description)}'`).join(' ')})`,
    '  if (( CURRENT == 2 )); then',
    "    _describe 'fcp command' commands",
    `    compadd -- ${[...rootOptions, '--help', '--version'].join(' ')}`,
    '    return',
    '  fi',
    '  case "${words[2]}" in',
    cases,
    '  esac',
    '  _files',
    '}',
    'compdef _fcp fcp',
  ].join('\n');
}
