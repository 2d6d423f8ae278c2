import type { Command } from 'commander';

interface Entry {
  name: string;
  description: string;
  options: string[];
}

/** Commands and their options, read from the program itself, so completion never falls behind. */
function entries(program: Command): { global: string[]; commands: Entry[] } {
  const flags = (command: Command) => command.options.flatMap((o) => [o.short, o.long].filter((f): f is string => !!f));
  return {
    global: [...flags(program), '--help'],
    commands: program.commands.map((c) => ({
      name: c.name(),
      description: c.description().split('\n')[0],
      // A command with subcommands (`webhooks install|status`) completes its subcommands' flags too.
      options: [...new Set([...flags(c), ...c.commands.flatMap(flags), '--help'])],
    })),
  };
}

const quote = (text: string) => `'${text.replace(/'/g, `'\\''`)}'`;

/** A bash completion script: `source <(conveyor completion bash)`. */
export function bashCompletion(program: Command): string {
  const { global, commands } = entries(program);
  const cases = commands.map((c) => `    ${c.name}) opts=${quote([...c.options, ...global].join(' '))} ;;`).join('\n');
  return `# bash completion for conveyor: source <(conveyor completion bash)
_conveyor() {
  local cur="\${COMP_WORDS[COMP_CWORD]}" command="" i
  for ((i = 1; i < COMP_CWORD; i++)); do
    case "\${COMP_WORDS[i]}" in -*) ;; *) command="\${COMP_WORDS[i]}"; break ;; esac
  done
  local opts
  case "$command" in
    "") COMPREPLY=($(compgen -W ${quote([...commands.map((c) => c.name), ...global].join(' '))} -- "$cur")); return ;;
${cases}
    *) opts=${quote(global.join(' '))} ;;
  esac
  if [[ "$cur" == -* ]]; then COMPREPLY=($(compgen -W "$opts" -- "$cur")); else COMPREPLY=($(compgen -f -- "$cur")); fi
}
complete -F _conveyor conveyor
`;
}

/** A zsh completion script: `source <(conveyor completion zsh)`, or save it as _conveyor on $fpath. */
export function zshCompletion(program: Command): string {
  const { global, commands } = entries(program);
  const described = commands.map((c) => `    ${quote(`${c.name}:${c.description.replace(/:/g, '\\:')}`)}`).join('\n');
  const cases = commands
    .map(
      (c) =>
        `    ${c.name}) _arguments -s ${[...c.options, ...global].map((o) => quote(`${o}`)).join(' ')} '*:file:_files' ;;`,
    )
    .join('\n');
  return `#compdef conveyor
# zsh completion for conveyor: source <(conveyor completion zsh)
_conveyor() {
  local -a commands
  commands=(
${described}
  )
  if (( CURRENT == 2 )); then
    _describe 'conveyor command' commands
    return
  fi
  case "\${words[2]}" in
${cases}
  esac
}
if [[ -n "\${ZSH_VERSION-}" ]]; then compdef _conveyor conveyor 2>/dev/null || true; fi
`;
}
