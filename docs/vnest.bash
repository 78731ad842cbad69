# bash completion for vnest. The candidates come from vnest itself
# (`vnest __complete`), generated from the same command records as --help
# and the man pages, so this file never needs editing when commands change.
# Install: copy to /usr/share/bash-completion/completions/vnest, or source it.
_vnest() {
    local cur=${COMP_WORDS[COMP_CWORD]}
    local IFS=$'\n'
    local -a out
    mapfile -t out < <("${COMP_WORDS[0]}" __complete "${COMP_WORDS[@]:1:COMP_CWORD}" 2>/dev/null)
    if [ "${#out[@]}" -eq 1 ] && [ "${out[0]}" = "__files__" ]; then
        mapfile -t COMPREPLY < <(compgen -f -- "$cur")
        compopt -o filenames 2>/dev/null
    else
        COMPREPLY=("${out[@]}")
    fi
}
complete -F _vnest vnest
