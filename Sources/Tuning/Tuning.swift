// Tuning module.
