'use strict';
// The patients' app's service worker. It is served at the address where the Flet web client
// registers its own (flutter_service_worker.js, which only unregisters itself), so the two never
// fight over the /app/ scope. It keeps the last card image and an offline page on the device:
// an installed app opened without a connection shows the card for the kiosk.
const CACHE = 'loyalty-app-v1';
const OFFLINE = 'offline.html';
const LAST_CARD = 'card/last.png';

self.addEventListener('install', (event) => {
  event.waitUntil(caches.open(CACHE)
    .then((cache) => cache.add(new Request(OFFLINE, { cache: 'reload' })))
    .then(() => self.skipWaiting()));
});

self.addEventListener('activate', (event) => {
  event.waitUntil(self.clients.claim());
});

self.addEventListener('fetch', (event) => {
  const url = new URL(event.request.url);
  const scope = new URL(self.registration.scope);
  if (url.origin !== scope.origin || !url.pathname.startsWith(scope.pathname)) {
    return;
  }
  const path = url.pathname.slice(scope.pathname.length);
  if (path === 'card/none.png') {
    event.respondWith(forgetCard(event.request));
  } else if (path === LAST_CARD) {
    event.respondWith(lastCard());
  } else if (path.startsWith('card/') && path.endsWith('.png')) {
    event.respondWith(keepCard(event.request));
  } else if (event.request.mode === 'navigate') {
    event.respondWith(fetch(event.request).catch(() => caches.match(OFFLINE, { cacheName: CACHE })));
  }
});

async function keepCard(request) {
  try {
    const response = await fetch(request);
    if (response.ok) {
      const cache = await caches.open(CACHE);
      await cache.put(LAST_CARD, response.clone());
    }
    return response;
  } catch (error) {
    return lastCard();
  }
}

async function lastCard() {
  const kept = await caches.match(LAST_CARD, { cacheName: CACHE });
  return kept || new Response('', { status: 404 });
}

async function forgetCard(request) {
  const cache = await caches.open(CACHE);
  await cache.delete(LAST_CARD);
  try {
    return await fetch(request);
  } catch (error) {
    return new Response('', { status: 204 });
  }
}

// Web Push: HQ sends {title, body, url, tag}, encrypted for this device. The words are discreet:
// a lock screen shows them to anyone nearby.
self.addEventListener('push', (event) => {
  let message = {};
  try {
    message = event.data ? event.data.json() : {};
  } catch (error) {
    message = { body: event.data ? event.data.text() : '' };
  }
  event.waitUntil(self.registration.showNotification(message.title || '', {
    body: message.body || '',
    icon: 'icons/icon-192.png',
    badge: 'icons/icon-maskable-192.png',
    tag: message.tag,
    data: { url: new URL(message.url || './', self.registration.scope).href },
  }));
});

self.addEventListener('notificationclick', (event) => {
  event.notification.close();
  const target = (event.notification.data && event.notification.data.url) || self.registration.scope;
  event.waitUntil(self.clients.matchAll({ type: 'window', includeUncontrolled: true }).then((windows) => {
    for (const client of windows) {
      if (client.url.startsWith(self.registration.scope) && 'focus' in client) {
        return client.focus();
      }
    }
    return self.clients.openWindow(target);
  }));
});
