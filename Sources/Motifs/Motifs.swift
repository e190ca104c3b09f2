// Motifs module.
