"""The words generated operators are made of: per language, surnames, first names, trades (short
words and the long compounds Swedish, German and Dutch names are full of), towns with their
diacritics, streets and legal forms, plus syllables for invented brand names ("Velora",
"Nordiqa") — the long tail that makes a real register's dictionary large and full of near
neighbours ("Nordika", "Nordiqa", "Nordia").

Only data; `register.py` composes it.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Language:
    surnames: tuple[str, ...]
    first_names: tuple[str, ...]
    trades: tuple[str, ...]
    streets: tuple[str, ...]
    # (legal form as written, weight)
    legal_forms: tuple[tuple[str, float], ...]
    # "and" as used between two names or trades
    conjunction: str
    # Swedish names put the owner in the genitive: "Lindqvists Frukt"
    genitive: str = ""


SWEDISH = Language(
    surnames=(
        "Andersson", "Johansson", "Karlsson", "Nilsson", "Eriksson", "Larsson", "Olsson",
        "Persson", "Svensson", "Gustafsson", "Pettersson", "Jonsson", "Jansson", "Hansson",
        "Bengtsson", "Jönsson", "Lindberg", "Jakobsson", "Magnusson", "Olofsson", "Lindström",
        "Lindqvist", "Lindgren", "Berg", "Axelsson", "Bergström", "Lundberg", "Lundgren",
        "Lundqvist", "Mattsson", "Berglund", "Fredriksson", "Sandberg", "Henriksson",
        "Forsberg", "Sjöberg", "Wallin", "Engström", "Eklund", "Danielsson", "Håkansson",
        "Lundin", "Björk", "Bergman", "Gunnarsson", "Holm", "Wikström", "Samuelsson",
        "Isaksson", "Fransson", "Bergqvist", "Nyström", "Holmberg", "Arvidsson", "Löfgren",
        "Söderberg", "Nyberg", "Blomqvist", "Claesson", "Nordström", "Mårtensson",
        "Lundström", "Viklund", "Björklund", "Eliasson", "Pålsson", "Berggren", "Sandström",
        "Nordin", "Ström", "Åberg", "Hermansson", "Ekström", "Holmgren", "Sundberg",
        "Hedlund", "Dahlberg", "Hellström", "Sjögren", "Abrahamsson", "Falk", "Öberg",
        "Andreasson", "Blom", "Månsson", "Kvarnström", "Åkesson", "Östlund", "Söderström",
        "Lindholm", "Hägglund", "Strömberg", "Ågren", "Fält", "Wennberg", "Sjöström",
    ),
    first_names=(
        "Anna", "Eva", "Maria", "Karin", "Sara", "Lena", "Kerstin", "Ingrid", "Åsa", "Märta",
        "Erik", "Lars", "Karl", "Anders", "Johan", "Per", "Nils", "Mikael", "Björn", "Göran",
    ),
    trades=(
        "Frukt", "Grönt", "Import", "Handel", "Export", "Livs", "Trä", "Trävaror", "Blommor",
        "Växter", "Agro", "Fisk", "Kaffe", "Kryddor", "Spannmål", "Bär", "Svamp", "Logistik",
        "Frakt", "Åkeri", "Potatis", "Honung", "Odling", "Skog", "Sågverk", "Plantskola",
        "Trädgård", "Lantbruk", "Partihandel", "Fruktimport", "Grönsaker", "Livsmedel",
        "Blomsterhandel", "Trädgårdsprodukter", "Grönsaksodling", "Skogsplantor",
        "Livsmedelsgrossist", "Fruktgrossisten", "Spannmålshandel", "Växthusodling",
        "Blomsterimport", "Träförädling", "Lantmännen", "Importfirma", "Handelshus",
    ),
    streets=(
        "Storgatan", "Hamngatan", "Industrivägen", "Kungsgatan", "Järnvägsgatan", "Parkvägen",
        "Drottninggatan", "Östra Hamngatan", "Skolgatan", "Ringvägen", "Lagervägen",
    ),
    legal_forms=(("AB", 0.75), ("HB", 0.1), ("KB", 0.04), ("Handelsbolag", 0.03),
                 ("Aktiebolag", 0.03), ("Ek. för.", 0.02), ("AB (publ)", 0.03)),
    conjunction="&",
    genitive="s",
)  # fmt: skip

GERMAN = Language(
    surnames=(
        "Müller", "Schmidt", "Schneider", "Fischer", "Weber", "Meyer", "Wagner", "Becker",
        "Schulz", "Hoffmann", "Schäfer", "Koch", "Bauer", "Richter", "Klein", "Wolf",
        "Schröder", "Neumann", "Schwarz", "Zimmermann", "Braun", "Krüger", "Hofmann",
        "Hartmann", "Lange", "Schmitt", "Werner", "Schmitz", "Krause", "Meier", "Lehmann",
        "Schmid", "Schulze", "Maier", "Köhler", "Herrmann", "König", "Walter", "Mayer", "Huber",
        "Kaiser", "Fuchs", "Peters", "Lang", "Scholz", "Möller", "Weiß", "Jung", "Hahn",
        "Vogel", "Friedrich", "Keller", "Günther", "Frank", "Berger", "Winkler", "Roth",
        "Beck", "Lorenz", "Baumann", "Franke", "Albrecht", "Schuster", "Simon", "Ludwig",
        "Böhm", "Winter", "Kraus", "Martin", "Schumacher", "Krämer", "Vogt", "Stein", "Jäger",
        "Otto", "Sommer", "Groß", "Seidel", "Heinrich", "Brandt", "Haas", "Schreiber",
        "Graf", "Schulte", "Dietrich", "Ziegler", "Kuhn", "Kühn", "Pohl", "Engel", "Horn",
    ),
    first_names=("Hans", "Peter", "Klaus", "Jürgen", "Stefan", "Uwe", "Sabine", "Petra",
                 "Monika", "Ursula", "Jörg", "Günter"),
    trades=(
        "Obst", "Gemüse", "Handel", "Import", "Export", "Holz", "Blumen", "Pflanzen", "Agrar",
        "Frucht", "Fisch", "Kaffee", "Gewürze", "Getreide", "Logistik", "Spedition",
        "Großhandel", "Fruchthandel", "Obstgroßhandel", "Gemüsehandel", "Holzhandel",
        "Gartenbau", "Baumschule", "Lebensmittel", "Blumengroßhandel", "Holzindustrie",
        "Agrarhandel", "Frischdienst", "Importgesellschaft", "Handelsgesellschaft",
    ),
    streets=("Hauptstraße", "Bahnhofstraße", "Industriestraße", "Hafenstraße", "Gartenstraße",
             "Großmarktstraße", "Lindenallee"),
    legal_forms=(("GmbH", 0.6), ("GmbH & Co. KG", 0.15), ("KG", 0.08), ("AG", 0.05),
                 ("e.K.", 0.07), ("OHG", 0.05)),
    conjunction="&",
)  # fmt: skip

DUTCH = Language(
    surnames=(
        "de Jong", "Jansen", "de Vries", "van den Berg", "van Dijk", "Bakker", "Janssen",
        "Visser", "Smit", "Meijer", "de Boer", "Mulder", "de Groot", "Bos", "Vos", "Peters",
        "Hendriks", "van Leeuwen", "Dekker", "Brouwer", "de Wit", "Dijkstra", "Smits",
        "de Graaf", "van der Meer", "van der Linden", "Kok", "Jacobs", "de Haan", "Vermeulen",
        "van den Heuvel", "van der Veen", "van den Broek", "de Bruijn", "de Bruin",
        "van der Heijden", "Schouten", "van Beek", "Willems", "van Vliet", "van de Ven",
        "Hoekstra", "Maas", "Verhoeven", "Koster", "van Dam", "van der Wal", "Prins", "Blom",
        "Huisman", "Peeters", "de Jonge", "Kuipers", "van Veen", "Post", "Kuiper", "Veenstra",
    ),
    first_names=("Jan", "Piet", "Kees", "Willem", "Sanne", "Anouk", "Joost", "Bram"),
    trades=(
        "Groenten", "Fruit", "Bloemen", "Planten", "Handel", "Import", "Export", "Hout",
        "Kwekerij", "Agro", "Vis", "Koffie", "Logistiek", "Transport", "Versmarkt",
        "Groothandel", "Fruithandel", "Bloemenveiling", "Boomkwekerij", "Houthandel",
        "Groentenhandel", "Bloemenexport", "Tuinbouw", "Aardappelhandel", "Voedingsmiddelen",
    ),
    streets=("Havenweg", "Dorpsstraat", "Kerkstraat", "Industrieweg", "Veilingweg",
             "Stationsweg", "Molenweg"),
    legal_forms=(("B.V.", 0.85), ("V.O.F.", 0.1), ("N.V.", 0.05)),
    conjunction="en",
)  # fmt: skip

SPANISH = Language(
    surnames=(
        "García", "Fernández", "González", "Rodríguez", "López", "Martínez", "Sánchez",
        "Pérez", "Gómez", "Martín", "Jiménez", "Ruiz", "Hernández", "Díaz", "Moreno",
        "Muñoz", "Álvarez", "Romero", "Alonso", "Gutiérrez", "Navarro", "Torres",
        "Domínguez", "Vázquez", "Ramos", "Gil", "Ramírez", "Serrano", "Blanco", "Molina",
        "Morales", "Suárez", "Ortega", "Delgado", "Castro", "Ortiz", "Rubio", "Marín", "Sanz",
        "Núñez", "Iglesias", "Medina", "Garrido", "Cortés", "Castillo", "Santos", "Lozano",
        "Guerrero", "Cano", "Prieto", "Méndez", "Cruz", "Calvo", "Gallego", "Vidal", "León",
    ),
    first_names=("José", "Antonio", "Manuel", "Francisco", "Carmen", "María", "Lucía",
                 "Javier", "Ángel", "Andrés"),
    trades=(
        "Frutas", "Hortalizas", "Verduras", "Cítricos", "Agrícola", "Exportaciones",
        "Importaciones", "Comercial", "Flores", "Plantas", "Viveros", "Maderas", "Aceites",
        "Conservas", "Alimentación", "Distribuciones", "Hortofrutícola", "Agroalimentaria",
        "Invernaderos", "Comercializadora", "Café", "Pescados", "Logística",
    ),
    streets=("Calle Mayor", "Calle Real", "Avenida del Puerto", "Calle de la Huerta",
             "Polígono Industrial", "Camino Viejo"),
    legal_forms=(("S.L.", 0.7), ("S.A.", 0.2), ("S.L.U.", 0.05), ("S. Coop.", 0.05)),
    conjunction="y",
)  # fmt: skip

ITALIAN = Language(
    surnames=(
        "Rossi", "Russo", "Ferrari", "Esposito", "Bianchi", "Romano", "Colombo", "Ricci",
        "Marino", "Greco", "Bruno", "Gallo", "Conti", "De Luca", "Mancini", "Costa",
        "Giordano", "Rizzo", "Lombardi", "Moretti", "Barbieri", "Fontana", "Santoro",
        "Mariani", "Rinaldi", "Caruso", "Ferrara", "Galli", "Martini", "Leone", "Longo",
        "Gentile", "Martinelli", "Vitale", "Lombardo", "Serra", "Coppola", "De Santis",
        "D'Angelo", "Marchetti", "Parisi", "Villa", "Conte", "Ferraro", "Ferri", "Fabbri",
    ),
    first_names=("Giuseppe", "Giovanni", "Antonio", "Mario", "Luigi", "Francesca", "Giulia",
                 "Chiara", "Paolo", "Marco"),
    trades=(
        "Frutta", "Verdura", "Ortofrutta", "Agrumi", "Fiori", "Piante", "Vivai", "Legnami",
        "Olio", "Vini", "Caffè", "Commercio", "Importazioni", "Esportazioni", "Agricola",
        "Ortofrutticola", "Distribuzione", "Alimentari", "Florovivaistica", "Conserve",
        "Trasporti", "Logistica",
    ),
    streets=("Via Roma", "Via Garibaldi", "Via Mazzini", "Via del Porto", "Via dell'Industria",
             "Corso Italia", "Via Nazionale"),
    legal_forms=(("S.r.l.", 0.7), ("S.p.A.", 0.15), ("S.n.c.", 0.1), ("S.a.s.", 0.05)),
    conjunction="e",
)  # fmt: skip

POLISH = Language(
    surnames=(
        "Nowak", "Kowalski", "Wiśniewski", "Wójcik", "Kowalczyk", "Kamiński", "Lewandowski",
        "Zieliński", "Szymański", "Woźniak", "Dąbrowski", "Kozłowski", "Jankowski", "Mazur",
        "Wojciechowski", "Kwiatkowski", "Krawczyk", "Kaczmarek", "Piotrowski", "Grabowski",
        "Zając", "Pawłowski", "Michalski", "Król", "Wieczorek", "Jabłoński", "Wróbel",
        "Nowakowski", "Majewski", "Olszewski", "Stępień", "Malinowski", "Jaworski", "Adamczyk",
        "Dudek", "Nowicki", "Pawlak", "Górski", "Witkowski", "Walczak", "Sikora", "Baran",
    ),
    first_names=("Jan", "Piotr", "Krzysztof", "Andrzej", "Anna", "Katarzyna", "Małgorzata",
                 "Tomasz", "Paweł", "Agnieszka"),
    trades=(
        "Owoce", "Warzywa", "Handel", "Import", "Eksport", "Drewno", "Kwiaty", "Rośliny",
        "Ogrodnictwo", "Szkółka", "Przetwórstwo", "Hurtownia", "Spedycja", "Transport",
        "Rolnictwo", "Zboża", "Grzyby", "Owocowo", "Tartak", "Sadownictwo", "Przedsiębiorstwo",
    ),
    streets=("ul. Główna", "ul. Polna", "ul. Leśna", "ul. Słoneczna", "ul. Przemysłowa",
             "ul. Portowa"),
    legal_forms=(("Sp. z o.o.", 0.75), ("S.A.", 0.1), ("sp.j.", 0.1), ("sp.k.", 0.05)),
    conjunction="i",
)  # fmt: skip

DANISH = Language(
    surnames=(
        "Nielsen", "Jensen", "Hansen", "Pedersen", "Andersen", "Christensen", "Larsen",
        "Sørensen", "Rasmussen", "Jørgensen", "Petersen", "Madsen", "Kristensen", "Olsen",
        "Thomsen", "Christiansen", "Poulsen", "Johansen", "Møller", "Mortensen", "Knudsen",
        "Jakobsen", "Mikkelsen", "Frederiksen", "Laursen", "Henriksen", "Lund", "Schmidt",
        "Eriksen", "Holm", "Kristiansen", "Clausen", "Simonsen", "Svendsen", "Andreasen",
    ),
    first_names=("Søren", "Jens", "Mette", "Hanne", "Niels", "Birgitte", "Lars", "Kirsten"),
    trades=(
        "Frugt", "Grønt", "Import", "Handel", "Eksport", "Blomster", "Planteskole",
        "Træ", "Tømmerhandel", "Grønthandel", "Frugtimport", "Gartneri", "Fisk", "Kaffe",
        "Landbrug", "Fødevarer", "Engroshandel", "Blomsterhandel", "Transport",
    ),
    streets=("Havnevej", "Hovedgaden", "Industrivej", "Stationsvej", "Kirkevej", "Søndergade"),
    legal_forms=(("ApS", 0.6), ("A/S", 0.3), ("I/S", 0.1)),
    conjunction="og",
)  # fmt: skip

FINNISH = Language(
    surnames=(
        "Korhonen", "Virtanen", "Mäkinen", "Nieminen", "Mäkelä", "Hämäläinen", "Laine",
        "Heikkinen", "Koskinen", "Järvinen", "Lehtonen", "Lehtinen", "Saarinen", "Salminen",
        "Heinonen", "Niemi", "Heikkilä", "Kinnunen", "Salonen", "Turunen", "Salo", "Laitinen",
        "Tuominen", "Rantanen", "Karjalainen", "Jokinen", "Mattila", "Savolainen", "Lahtinen",
        "Ahonen", "Väisänen", "Kärkkäinen", "Pöyhönen",
    ),
    first_names=("Matti", "Juha", "Timo", "Kari", "Anne", "Päivi", "Tuula", "Jukka"),
    trades=(
        "Hedelmä", "Vihannes", "Tukku", "Kauppa", "Tuonti", "Vienti", "Puutavara", "Kukka",
        "Taimisto", "Puutarha", "Elintarvike", "Hedelmätukku", "Kalatukku", "Kuljetus",
        "Maatalous", "Sahateollisuus", "Kukkakauppa",
    ),
    streets=("Satamakatu", "Teollisuustie", "Kauppakatu", "Asemakatu", "Rantatie"),
    legal_forms=(("Oy", 0.85), ("Oyj", 0.05), ("Ky", 0.05), ("Ab", 0.05)),
    conjunction="ja",
)  # fmt: skip

FRENCH = Language(
    surnames=(
        "Martin", "Bernard", "Dubois", "Thomas", "Robert", "Richard", "Petit", "Durand",
        "Leroy", "Moreau", "Simon", "Laurent", "Lefèbvre", "Michel", "Garcia", "David",
        "Bertrand", "Roux", "Vincent", "Fournier", "Morel", "Girard", "André", "Lefèvre",
        "Mercier", "Dupont", "Lambert", "Bonnet", "François", "Martinez", "Legrand",
        "Garnier", "Faure", "Rousseau", "Blanc", "Guérin", "Muller", "Henry", "Roussel",
        "Nicolas", "Perrin", "Morin", "Mathieu", "Clément", "Gauthier", "Dumont", "Lopez",
    ),
    first_names=("Jean", "Pierre", "Michel", "André", "Marie", "Nathalie", "Isabelle",
                 "François", "Hélène", "Stéphane"),
    trades=(
        "Fruits", "Légumes", "Primeurs", "Import", "Export", "Négoce", "Bois", "Fleurs",
        "Plantes", "Pépinières", "Distribution", "Alimentaire", "Agrumes", "Transports",
        "Horticulture", "Maraîchage", "Exportations", "Établissements", "Logistique",
    ),
    streets=("Rue du Port", "Rue de la République", "Avenue de la Gare", "Rue Nationale",
             "Zone Industrielle", "Chemin des Vignes"),
    legal_forms=(("SARL", 0.5), ("SAS", 0.35), ("SA", 0.1), ("EURL", 0.05)),
    conjunction="et",
)  # fmt: skip

NORWEGIAN = Language(
    surnames=(
        "Hansen", "Johansen", "Olsen", "Larsen", "Andersen", "Pedersen", "Nilsen",
        "Kristiansen", "Jensen", "Karlsen", "Johnsen", "Pettersen", "Eriksen", "Berg",
        "Haugen", "Hagen", "Johannessen", "Andreassen", "Jacobsen", "Dahl", "Jørgensen",
        "Halvorsen", "Henriksen", "Lund", "Sørensen", "Jakobsen", "Moen", "Gundersen",
        "Iversen", "Strand", "Solberg", "Svendsen", "Eide", "Knutsen", "Martinsen", "Bakken",
    ),
    first_names=("Ole", "Knut", "Bjørn", "Ingrid", "Kari", "Tor", "Solveig", "Håkon"),
    trades=(
        "Frukt", "Grønt", "Import", "Handel", "Eksport", "Blomster", "Planteskole", "Trelast",
        "Fisk", "Sjømat", "Fiskeeksport", "Grønnsaker", "Fruktimport", "Engros", "Transport",
    ),
    streets=("Havnegata", "Storgata", "Industriveien", "Kirkegata", "Strandveien"),
    legal_forms=(("AS", 0.85), ("ASA", 0.05), ("ANS", 0.05), ("DA", 0.05)),
    conjunction="og",
)  # fmt: skip

ENGLISH = Language(
    surnames=(
        "Smith", "Naidoo", "Botha", "van der Merwe", "Pillay", "Nkosi", "Dlamini", "Mokoena",
        "Kamau", "Otieno", "Wanjiru", "Mwangi", "Njoroge", "Odhiambo", "Kiprono", "Chebet",
        "Williams", "Brown", "Taylor", "Jones", "Johnson", "Ndlovu", "Khumalo", "Mutua",
        "Ochieng", "Wambui", "Kariuki", "Govender", "Pretorius", "du Plessis", "Fourie",
    ),
    first_names=("John", "David", "Grace", "Mary", "Peter", "Joseph", "Faith", "James"),
    trades=(
        "Fruit", "Produce", "Exports", "Imports", "Trading", "Farms", "Flowers", "Growers",
        "Citrus", "Avocados", "Horticulture", "Packers", "Timber", "Logistics", "Holdings",
        "Agricultural", "Floriculture", "Fresh", "Estates", "Enterprises", "International",
    ),
    streets=("Main Road", "Harbour Road", "Industrial Area", "Church Street", "Market Street",
             "Station Road"),
    legal_forms=(("(Pty) Ltd", 0.5), ("Ltd", 0.35), ("Limited", 0.15)),
    conjunction="and",
)  # fmt: skip

# Brand syllables: "Ve" + "lo" + "ra" = "Velora". Some carry the region's letters.
BRAND_STARTS = (
    "Nor", "Sve", "Ska", "Ve", "Vi", "Sol", "Ber", "Fjo", "Agri", "Ter", "Flo", "Gre", "Fru",
    "Mar", "Al", "Bel", "Cor", "Del", "Eu", "Fa", "Ga", "Hal", "In", "Ja", "Kal", "Lu", "Mo",
    "Na", "Or", "Pa", "Qui", "Ro", "Sa", "Ta", "Ul", "Va", "Xa", "Ze", "Ny", "Sjö", "Ström",
    "Björ", "Väs", "Ös", "Ål", "Hav", "Skog", "Fält", "Lin", "Dal", "Ek", "Tall", "Gran",
)  # fmt: skip
BRAND_MIDDLES = (
    "di", "lo", "ra", "ve", "ta", "ri", "na", "mi", "ca", "sa", "ro", "li", "no", "ba", "ko",
    "va", "te", "re", "le", "vi", "gu", "do", "fe", "pi", "tu", "ma", "ne", "ka", "ga", "pe",
)  # fmt: skip
BRAND_ENDS = (
    "qa", "ra", "ka", "ia", "ex", "ico", "on", "us", "ix", "ana", "ina", "ora", "ica", "ium",
    "is", "ar", "en", "o", "a", "ea", "io", "ent", "ell", "und", "vik", "by", "a", "ia", "ix",
    "eco", "ado", "ella", "ino", "ita", "ova", "ika", "ani", "esa", "ur", "ent", "gard", "dal",
)  # fmt: skip
REGIONS = ("Scandinavia", "Nordic", "Europe", "International", "Sverige", "Baltic", "Trading")

# Countries by share of the register, their language and towns (Swedish importers see mostly SE,
# the EU and the big exporting third countries).
COUNTRIES: tuple[tuple[str, float, Language, tuple[str, ...]], ...] = (
    ("SE", 0.30, SWEDISH, (
        "Göteborg", "Malmö", "Stockholm", "Umeå", "Växjö", "Örebro", "Luleå", "Helsingborg",
        "Jönköping", "Västerås", "Norrköping", "Gävle", "Linköping", "Uppsala", "Borås",
        "Södertälje", "Eskilstuna", "Halmstad", "Sundsvall", "Trollhättan", "Östersund",
        "Borlänge", "Falun", "Skövde", "Karlstad", "Kristianstad", "Kalmar", "Landskrona",
        "Skellefteå", "Örnsköldsvik", "Ängelholm", "Hässleholm", "Ystad", "Mölndal",
        "Höganäs", "Älmhult", "Trelleborg", "Varberg", "Kungsbacka", "Visby", "Motala",
        "Nässjö", "Värnamo", "Lidköping", "Alingsås", "Sölvesborg", "Härnösand", "Kiruna",
    )),
    ("DE", 0.12, GERMAN, (
        "Hamburg", "Bremen", "München", "Köln", "Düsseldorf", "Nürnberg", "Göttingen",
        "Lübeck", "Würzburg", "Saarbrücken", "Osnabrück", "Mönchengladbach", "Frankfurt am Main",
        "Berlin", "Dresden", "Leipzig", "Hannover",
    )),
    ("NL", 0.10, DUTCH, (
        "Rotterdam", "Amsterdam", "Venlo", "Aalsmeer", "Barendrecht", "Westland", "Naaldwijk",
        "Den Haag", "Utrecht", "Eindhoven", "Zwolle", "Groningen",
    )),
    ("ES", 0.08, SPANISH, (
        "Valencia", "Almería", "Murcia", "Sevilla", "Málaga", "Córdoba", "Cádiz", "Logroño",
        "Huelva", "Castellón de la Plana", "León", "Alicante",
    )),
    ("IT", 0.07, ITALIAN, (
        "Verona", "Milano", "Bari", "Catania", "Napoli", "Torino", "Bologna", "Palermo",
        "Forlì", "Cesena", "Ragusa", "Vittoria",
    )),
    ("PL", 0.06, POLISH, (
        "Gdańsk", "Poznań", "Warszawa", "Kraków", "Łódź", "Wrocław", "Szczecin", "Lublin",
        "Białystok", "Grójec", "Toruń",
    )),
    ("DK", 0.05, DANISH, ("København", "Aarhus", "Odense", "Aalborg", "Esbjerg", "Køge",
                          "Næstved")),
    ("FI", 0.05, FINNISH, ("Helsinki", "Turku", "Tampere", "Espoo", "Vantaa", "Oulu", "Jyväskylä",
                           "Hämeenlinna")),
    ("FR", 0.05, FRENCH, ("Marseille", "Lyon", "Rungis", "Perpignan", "Avignon", "Nîmes",
                          "Orléans", "Besançon", "Châteaurenard")),
    ("NO", 0.04, NORWEGIAN, ("Oslo", "Bergen", "Drammen", "Trondheim", "Tromsø", "Ålesund",
                             "Bodø", "Stavanger")),
    ("ZA", 0.03, ENGLISH, ("Cape Town", "Durban", "Johannesburg", "Port Elizabeth", "Paarl",
                           "Stellenbosch")),
    ("KE", 0.03, ENGLISH, ("Nairobi", "Mombasa", "Naivasha", "Nakuru", "Thika", "Eldoret")),
    ("CO", 0.02, SPANISH, ("Bogotá", "Medellín", "Cali", "Barranquilla", "Cartagena")),
)  # fmt: skip
