// Photo app: sign in, places, drag-and-drop uploads through the real API and S3, live statuses.
import {
  appApi,
  consoleApi,
  errorNote,
  getConfig,
  h,
  poll,
  RequestError,
  session,
  signIn,
  statusBadge,
} from './lib.js';

const FINAL = new Set(['PROCESSED', 'REJECTED', 'FAILED']);
const UPLOADS_KEY = 'happy-path-console-uploads';
const PLACE_KEY = 'happy-path-console-place';

export function signInForm(heading = 'Sign in') {
  const input = h('input', {
    id: 'user-id',
    name: 'userId',
    value: 'user-console',
    required: true,
    autocomplete: 'username',
    pattern: '[A-Za-z0-9._@-]{1,64}',
  });
  const problem = h('p', { class: 'error', role: 'alert' });
  return h(
    'form',
    {
      class: 'card',
      'aria-labelledby': 'sign-in-heading',
      onsubmit: async (event) => {
        event.preventDefault();
        problem.textContent = '';
        try {
          await signIn(input.value.trim());
        } catch (error) {
          problem.textContent = `⚠ ${error.message}`;
        }
      },
    },
    h('h2', { id: 'sign-in-heading' }, heading),
    h(
      'p',
      {},
      'The console signs a development token for this user with the data directory’s key, as npm run token does. It is kept in this tab only.',
    ),
    h('label', { for: 'user-id' }, 'User id'),
    ' ',
    input,
    ' ',
    h('button', { type: 'submit' }, 'Sign in'),
    problem,
  );
}

function savedUploads() {
  try {
    return JSON.parse(sessionStorage.getItem(UPLOADS_KEY) ?? '[]');
  } catch {
    return [];
  }
}

export async function render(main) {
  main.append(h('h1', {}, 'Photo app'));
  if (!session()) {
    main.append(signInForm());
    return;
  }
  const stoppers = [];
  const placeList = h('ul', { class: 'places', 'aria-label': 'Places' });
  const placeProblem = h('p', { class: 'error', role: 'alert' });
  const uploadList = h('ol', { class: 'uploads', 'aria-label': 'Your uploads', 'aria-live': 'polite' });
  const gallery = h('div', { class: 'gallery' });
  let selected = sessionStorage.getItem(PLACE_KEY) ?? '';
  const selectedName = h('strong', {}, selected || 'no place chosen');

  async function loadPlaces() {
    const { places } = await consoleApi('places');
    placeList.replaceChildren(
      ...(places.length === 0
        ? [h('li', {}, 'No places yet: create one.')]
        : places.map((place) =>
            h(
              'li',
              {},
              h(
                'button',
                {
                  type: 'button',
                  'aria-pressed': place.placeId === selected ? 'true' : 'false',
                  onclick: () => choose(place.placeId),
                },
                `${place.name} (${place.type}) `,
                h('code', {}, place.placeId),
              ),
            ),
          )),
    );
  }

  async function loadGallery() {
    if (!selected) return gallery.replaceChildren();
    try {
      const place = await appApi('GET', `/locations?placeId=${encodeURIComponent(selected)}`);
      gallery.replaceChildren(
        ...(place.photos.length === 0
          ? [h('p', {}, 'No published photos yet.')]
          : place.photos.map((photo) =>
              h(
                'figure',
                {},
                h('img', { src: photo.tileUrl, alt: `Tile of upload ${photo.uploadId}`, width: 160 }),
                h('figcaption', {}, h('a', { href: photo.scaledUrl, target: '_blank' }, 'scaled copy')),
              ),
            )),
      );
    } catch (error) {
      gallery.replaceChildren(errorNote(error));
    }
  }

  function choose(placeId) {
    selected = placeId;
    sessionStorage.setItem(PLACE_KEY, placeId);
    selectedName.textContent = placeId;
    loadPlaces();
    loadGallery();
  }

  const form = h(
    'form',
    {
      class: 'card grid',
      'aria-labelledby': 'new-place',
      onsubmit: async (event) => {
        event.preventDefault();
        placeProblem.textContent = '';
        const data = new FormData(event.target);
        try {
          const { placeId } = await appApi('POST', '/locations', {
            id: data.get('id'),
            name: data.get('name'),
            type: data.get('type'),
            lat: Number(data.get('lat')),
            lng: Number(data.get('lng')),
          });
          event.target.reset();
          choose(placeId ?? data.get('id'));
        } catch (error) {
          placeProblem.textContent = `⚠ ${error.message}`;
        }
      },
    },
    h('h2', { id: 'new-place' }, 'New place'),
    h('label', { for: 'place-id' }, 'Id'),
    h('input', { id: 'place-id', name: 'id', required: true, placeholder: 'corner-bistro' }),
    h('label', { for: 'place-name' }, 'Name'),
    h('input', { id: 'place-name', name: 'name', required: true, placeholder: 'Corner Bistro' }),
    h('label', { for: 'place-type' }, 'Type'),
    h(
      'select',
      { id: 'place-type', name: 'type' },
      ...['park', 'restaurant', 'cafe', 'bar', 'museum'].map((type) => h('option', {}, type)),
    ),
    h('label', { for: 'place-lat' }, 'Latitude'),
    h('input', {
      id: 'place-lat',
      name: 'lat',
      type: 'number',
      step: 'any',
      value: '40.7382',
      required: true,
    }),
    h('label', { for: 'place-lng' }, 'Longitude'),
    h('input', {
      id: 'place-lng',
      name: 'lng',
      type: 'number',
      step: 'any',
      value: '-74.0033',
      required: true,
    }),
    h('span'),
    h('button', { type: 'submit' }, 'Create place'),
    placeProblem,
  );

  function uploadRow(entry) {
    const row = h('li', { class: 'upload', 'data-upload-id': entry.uploadId });
    const draw = (upload) => {
      row.replaceChildren(
        h('span', { class: 'file' }, entry.file),
        ' ',
        statusBadge(upload.status),
        ' ',
        h('code', {}, entry.uploadId),
        upload.reason
          ? h(
              'p',
              { class: 'reason' },
              h('strong', {}, upload.reason),
              upload.detail ? `: ${upload.detail}` : '',
            )
          : '',
        upload.tileUrl
          ? h(
              'p',
              { class: 'published' },
              h('img', {
                src: upload.tileUrl,
                alt: `Published tile of ${entry.file}`,
                width: 120,
                class: 'tile',
              }),
              ' ',
              h('a', { href: upload.scaledUrl, target: '_blank' }, 'scaled copy'),
            )
          : '',
      );
    };
    draw({ status: entry.status ?? 'PENDING' });
    stoppers.push(
      poll(async () => {
        const upload = await appApi('GET', `/uploads/${encodeURIComponent(entry.uploadId)}`);
        draw(upload);
        if (!FINAL.has(upload.status)) return false;
        if (upload.status === 'PROCESSED') loadGallery();
        return true;
      }, 500),
    );
    return row;
  }

  const uploadProblem = h('p', { class: 'error', role: 'alert' });
  async function upload(files) {
    uploadProblem.textContent = '';
    if (!selected) {
      uploadProblem.textContent = '⚠ Choose or create a place first.';
      return;
    }
    const { apiUrl } = await getConfig();
    for (const file of files) {
      try {
        const ticket = await appApi('GET', `/uploads/url?placeId=${encodeURIComponent(selected)}`);
        const body = new FormData();
        for (const [name, value] of Object.entries(ticket.fields)) body.append(name, value);
        body.append('file', file, file.name);
        // The browser's own POST to the upload bucket, cross-origin: the bucket's CORS rules apply.
        const response = await fetch(ticket.url, { method: 'POST', body });
        if (!response.ok)
          throw new RequestError(
            response.status,
            `S3 refused ${file.name} (${response.status}): ${(await response.text()).slice(0, 300)}`,
          );
        const entry = { uploadId: ticket.uploadId, file: file.name, placeId: selected };
        sessionStorage.setItem(UPLOADS_KEY, JSON.stringify([entry, ...savedUploads()].slice(0, 50)));
        uploadList.prepend(uploadRow(entry));
      } catch (error) {
        uploadProblem.textContent = `⚠ ${file.name}: ${error.message}${apiUrl ? '' : ''}`;
      }
    }
  }

  const fileInput = h('input', {
    id: 'photo-files',
    type: 'file',
    accept: 'image/jpeg,image/*',
    multiple: true,
    class: 'visually-hidden',
    onchange: (event) => upload([...event.target.files]),
  });
  const drop = h(
    'label',
    {
      class: 'drop',
      ondragover: (event) => {
        event.preventDefault();
        drop.classList.add('over');
      },
      ondragleave: () => drop.classList.remove('over'),
      ondrop: (event) => {
        event.preventDefault();
        drop.classList.remove('over');
        upload([...event.dataTransfer.files]);
      },
    },
    fileInput,
    h('strong', {}, 'Drop photos here'),
    ' or press to choose files (JPEG). Each one gets an upload ticket from the API and is POSTed by this browser straight to S3.',
  );

  main.append(
    h(
      'div',
      { class: 'columns' },
      h(
        'section',
        { 'aria-labelledby': 'places-heading' },
        h('h2', { id: 'places-heading' }, 'Places'),
        placeList,
        form,
      ),
      h(
        'section',
        { 'aria-labelledby': 'upload-heading' },
        h('h2', { id: 'upload-heading' }, 'Upload to ', selectedName),
        drop,
        uploadProblem,
        uploadList,
        h('h2', {}, 'Published photos of this place'),
        gallery,
      ),
    ),
  );
  for (const entry of savedUploads()) uploadList.append(uploadRow(entry));
  await loadPlaces().catch((error) => placeList.replaceChildren(errorNote(error)));
  loadGallery();
  return () => {
    for (const stop of stoppers) stop();
  };
}
