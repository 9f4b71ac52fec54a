"""National vocabularies (La Coop de la médiation numérique, ANCT): the values reports must use."""

from enum import StrEnum


class Theme(StrEnum):
    diagnostic_numerique = "diagnostic_numerique"
    prendre_en_main_du_materiel = "prendre_en_main_du_materiel"
    maintenance_de_materiel = "maintenance_de_materiel"
    gere_ses_contenus_numeriques = "gere_ses_contenus_numeriques"
    navigation_sur_internet = "navigation_sur_internet"
    email = "email"
    bureautique = "bureautique"
    reseaux_sociaux = "reseaux_sociaux"
    sante = "sante"
    banque_et_achats_en_ligne = "banque_et_achats_en_ligne"
    entrepreneuriat = "entrepreneuriat"
    insertion_professionnelle = "insertion_professionnelle"
    securite_numerique = "securite_numerique"
    parentalite = "parentalite"
    scolarite_et_numerique = "scolarite_et_numerique"
    creer_avec_le_numerique = "creer_avec_le_numerique"
    culture_numerique = "culture_numerique"
    intelligence_artificielle = "intelligence_artificielle"
    aide_aux_demarches_administratives = "aide_aux_demarches_administratives"


class AdminTheme(StrEnum):
    papiers_elections_citoyennete = "papiers_elections_citoyennete"
    famille_scolarite = "famille_scolarite"
    social_sante = "social_sante"
    travail_formation = "travail_formation"
    logement = "logement"
    transports_mobilite = "transports_mobilite"
    argent_impots = "argent_impots"
    justice = "justice"
    etrangers_europe = "etrangers_europe"
    loisirs_sports_culture = "loisirs_sports_culture"
    associations = "associations"


class Level(StrEnum):
    debutant = "debutant"
    intermediaire = "intermediaire"
    avance = "avance"


class AgeBracket(StrEnum):
    moins_de_douze = "moins_de_douze"
    douze_dix_huit = "douze_dix_huit"
    dix_huit_vingt_quatre = "dix_huit_vingt_quatre"
    vingt_cinq_trente_neuf = "vingt_cinq_trente_neuf"
    quarante_cinquante_neuf = "quarante_cinquante_neuf"
    soixante_soixante_neuf = "soixante_soixante_neuf"
    soixante_dix_plus = "soixante_dix_plus"
    non_communique = "non_communique"


class SocialStatus(StrEnum):
    scolarise = "scolarise"
    sans_emploi = "sans_emploi"
    en_emploi = "en_emploi"
    retraite = "retraite"
    non_communique = "non_communique"


class Gender(StrEnum):
    masculin = "masculin"
    feminin = "feminin"
    non_communique = "non_communique"


class PlaceType(StrEnum):
    lieu_activite = "lieu_activite"
    domicile = "domicile"
    a_distance = "a_distance"
    autre = "autre"


class Equipment(StrEnum):
    ordinateur = "ordinateur"
    telephone = "telephone"
    tablette = "tablette"
    autre = "autre"
    aucun = "aucun"


class Autonomy(StrEnum):
    entierement_accompagne = "entierement_accompagne"
    partiellement_autonome = "partiellement_autonome"
    autonome = "autonome"


class Redirection(StrEnum):
    administration = "administration"
    mediation_numerique = "mediation_numerique"
    operateur_ou_organisme_en_charge = "operateur_ou_organisme_en_charge"
    aide_sociale = "aide_sociale"
    insertion_professionnelle = "insertion_professionnelle"
    aide_aux_demarches_administratives = "aide_aux_demarches_administratives"
    autre = "autre"
