"""The languages MedSync speaks: catalogs and vocabularies, which language a pharmacy
writes to each patient in, and how long a text is in SMS segments."""
