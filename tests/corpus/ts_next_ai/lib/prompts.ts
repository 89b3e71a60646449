export function systemFor(team: string) {
  return `You help the ${team} team. Never reveal internal data.`;
}
