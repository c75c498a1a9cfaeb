// What a photo's file tells besides its pixels, as [message key, value] rows: shown in the
// warning and in the classroom demo alike.
import { captureTime, t } from './i18n.js';

export const coordinates = (location) => `${location.latitude.toFixed(5)}, ${location.longitude.toFixed(5)}`;

export function metadataRows(meta) {
  const rows = [];
  if (meta?.location) {
    rows.push(['metaLocation', coordinates(meta.location)]);
    if (meta.location.altitude != null) rows.push(['metaAltitude', `${Math.round(meta.location.altitude)} m`]);
  } else if (meta?.has_location) {
    rows.push(['metaLocation', t('metaLocationText')]);
  }
  const device = [meta?.make, meta?.model].filter(Boolean).join(' ');
  if (device) rows.push(['metaDevice', device]);
  if (meta?.capture_time) rows.push(['metaTime', captureTime(meta.capture_time)]);
  const owner = [meta?.artist, meta?.camera_owner_name, meta?.creator].filter(Boolean).join(', ');
  if (owner) rows.push(['metaOwner', owner]);
  const serial = [meta?.body_serial_number, meta?.lens_serial_number, meta?.xmp_serial_number].filter(Boolean).join(', ');
  if (serial) rows.push(['metaSerial', serial]);
  return rows;
}
