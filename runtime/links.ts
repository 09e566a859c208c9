export interface LinkBases {
  apiUrl: string;
  webUiUrl: string;
  namespace: string;
}

export function webUiLink(bases: Pick<LinkBases, 'webUiUrl' | 'namespace'>, roundId: string): string {
  return `${bases.webUiUrl}/namespaces/${encodeURIComponent(bases.namespace)}/workflows/${encodeURIComponent(roundId)}`;
}

export function roundLinks(bases: LinkBases, roundId: string) {
  const self = `${bases.apiUrl}/v1/rounds/${encodeURIComponent(roundId)}`;
  return {
    self,
    events: `${self}/events`,
    webUi: webUiLink(bases, roundId),
  };
}
