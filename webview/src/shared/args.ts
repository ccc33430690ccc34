// Whether the host's context carries the arguments the panel already shows (a reload) or new ones
// (a command reused the panel): only new ones override what the user chose since.
export function sameArgs(a: object, b: object): boolean {
  const norm = (o: object) => JSON.stringify(Object.entries(o).filter(([, v]) => v !== undefined).sort(([x], [y]) => x.localeCompare(y)));
  return norm(a) === norm(b);
}
