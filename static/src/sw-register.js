/**
 * Registers the service worker (served by Django at /sw.js, scope /) and asks
 * it to keep this page and the scripts and stylesheets it uses, so that the
 * note opens again, editor included, when the network is gone.
 */
export async function keepPageOffline() {
  if (!("serviceWorker" in navigator) || !window.isSecureContext) return;
  try {
    await navigator.serviceWorker.register("/sw.js", { scope: "/" });
    const registration = await navigator.serviceWorker.ready;
    const assets = Array.from(
      document.querySelectorAll('script[src], link[rel~="stylesheet"][href], link[rel~="icon"][href]'),
      (element) => element.src || element.href,
    );
    registration.active?.postMessage({
      type: "keep-page",
      url: window.location.href.split("#")[0],
      assets,
    });
  } catch (error) {
    // Offline reloads will not work, live editing does.
    console.warn("Confnotes: service worker unavailable", error);
  }
}
