/**
 * Hands bytes to the browser as a download named `name`. The object URL is revoked after the
 * click's task, once the download holds it (revoking inside the click can empty the file in
 * browsers that resolve the URL later). The one way every view saves a file.
 */
export function saveFile(name: string, content: BlobPart, type: string): void {
  const url = URL.createObjectURL(new Blob([content], { type }));
  Object.assign(document.createElement('a'), { href: url, download: name }).click();
  setTimeout(() => URL.revokeObjectURL(url), 0);
}
