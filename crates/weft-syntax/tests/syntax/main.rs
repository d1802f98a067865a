mod document;
mod index;
mod outline;
