DROP TABLE project_beneficiaries;
DROP TABLE project_villages;
DROP TABLE projects;
