// Content script on the supported social networks (document_start, every frame).
// Placeholder: holding uploads comes later. It must never break a page, and never run
// WebAssembly (strict page CSPs block it here): images go to the background to be checked.
'use strict';
