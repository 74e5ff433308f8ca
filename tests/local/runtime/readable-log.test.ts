import { readableLogLine } from '../../../local/runtime/readable-log';

describe('the readable console line of a function log line', () => {
  it('shows the function, level, message, cold start, short request id and correlation keys of a Powertools line', () => {
    const line = `CheckDimensionsFunction | ${JSON.stringify({
      level: 'INFO',
      message: 'Checked dimensions',
      timestamp: '2026-12-06T12:00:00.000Z',
      service: 'happy-path-workflow-v4',
      cold_start: true,
      function_name: 'check',
      function_request_id: '0123456789abcdef',
      xray_trace_id: '1-abc',
      uploadId: '01a2',
      width: 1600,
    })}`;

    expect(readableLogLine(line)).toBe(
      'CheckDimensionsFunction INFO Checked dimensions (cold start) [01234567] uploadId=01a2 width=1600',
    );
  });

  it('leaves a line that is not a Powertools JSON line as it is', () => {
    expect(readableLogLine('s3: listening on http://127.0.0.1:4569')).toBe(
      's3: listening on http://127.0.0.1:4569',
    );
    expect(readableLogLine('Fn | {"not": "powertools"}')).toBe('Fn | {"not": "powertools"}');
    expect(readableLogLine('Fn | {broken')).toBe('Fn | {broken');
  });
});
