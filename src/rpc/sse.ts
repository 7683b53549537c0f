// Reading a server-sent event stream: the text arrives in arbitrary pieces, a
// frame ends at a blank line. Shared by every SSE client devport has (a
// sidecar's /events, the proxy's /requests/stream, the dashboard's tests).

/** A `data` handler that calls `onFrame` with each whole frame (the text before a blank line). */
export function sseFrames(onFrame: (frame: string) => void): (chunk: string) => void {
  let buf = '';
  return (chunk) => {
    buf += chunk;
    for (let i = buf.indexOf('\n\n'); i !== -1; i = buf.indexOf('\n\n')) {
      const frame = buf.slice(0, i);
      buf = buf.slice(i + 2);
      onFrame(frame);
    }
  };
}

/** A frame's data: its `data:` lines, joined; empty for a comment or a keep-alive. */
export function frameData(frame: string): string {
  return frame
    .split('\n')
    .filter((l) => l.startsWith('data: '))
    .map((l) => l.slice(6))
    .join('\n');
}
