"""Patient list, patient page, patient form, patient actions, recovery bar."""
