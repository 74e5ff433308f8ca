import { createRouteTable, InvalidRouteError, type RouteDefinition } from '../../../local/api/routes';

function table(...routes: Array<[string, string]>) {
  const definitions: RouteDefinition<string>[] = routes.map(([method, path]) => ({
    method,
    path,
    handler: path === '$default' ? '$default' : `${method} ${path}`,
  }));
  return createRouteTable(definitions);
}

describe('HTTP API route selection', () => {
  const routes = table(
    ['GET', '/pets/dog/1'],
    ['GET', '/pets/dog/{id}'],
    ['GET', '/pets/{proxy+}'],
    ['ANY', '/{proxy+}'],
    ['GET', '/uploads/url'],
    ['GET', '/uploads/{id}'],
    ['ANY', '/uploads/{id}'],
    ['$default', '$default'],
  );

  it('prefers an exact path over a path with a variable', () => {
    expect(routes.match('GET', '/pets/dog/1')?.routeKey).toBe('GET /pets/dog/1');
    expect(routes.match('GET', '/uploads/url')?.routeKey).toBe('GET /uploads/url');
  });

  it('prefers a path variable over a greedy variable', () => {
    const match = routes.match('GET', '/pets/dog/2');

    expect(match?.routeKey).toBe('GET /pets/dog/{id}');
    expect(match?.pathParameters).toEqual({ id: '2' });
  });

  it('lets a greedy variable catch every remaining segment', () => {
    const match = routes.match('GET', '/pets/cat/1/photos');

    expect(match?.routeKey).toBe('GET /pets/{proxy+}');
    expect(match?.pathParameters).toEqual({ proxy: 'cat/1/photos' });
  });

  it('falls back to an ANY route for a method no route names', () => {
    expect(routes.match('POST', '/pets/cat/1')?.routeKey).toBe('ANY /{proxy+}');
  });

  it('prefers a named method over ANY on the same path', () => {
    expect(routes.match('GET', '/uploads/abc')?.routeKey).toBe('GET /uploads/{id}');
    expect(routes.match('DELETE', '/uploads/abc')?.routeKey).toBe('ANY /uploads/{id}');
  });

  it('sends requests no route matches to $default without path parameters', () => {
    const match = table(['GET', '/a'], ['$default', '$default']).match('GET', '/b');

    expect(match).toEqual({ routeKey: '$default', pathParameters: undefined, handler: '$default' });
  });

  it('matches nothing when no route fits and there is no $default route', () => {
    const only = table(['GET', '/uploads/{id}']);

    expect(only.match('GET', '/uploads')).toBeUndefined();
    expect(only.match('GET', '/uploads/a/b')).toBeUndefined();
    expect(only.match('POST', '/uploads/a')).toBeUndefined();
  });

  it('URL-decodes path parameters', () => {
    const match = table(['GET', '/files/{name}']).match('GET', '/files/caf%C3%A9%20au%20lait');

    expect(match?.pathParameters).toEqual({ name: 'café au lait' });
  });

  it('does not let a greedy variable match its bare prefix', () => {
    expect(table(['GET', '/files/{proxy+}']).match('GET', '/files')).toBeUndefined();
  });

  it('rejects a greedy variable that is not the last segment', () => {
    expect(() => table(['GET', '/files/{proxy+}/x'])).toThrow(InvalidRouteError);
  });

  it('rejects duplicate routes', () => {
    expect(() => table(['GET', '/a'], ['get', '/a'])).toThrow(InvalidRouteError);
  });
});
